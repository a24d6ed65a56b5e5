# Databricks notebook source
dbutils.widgets.text("suffix", "?")
SUFFIX = dbutils.widgets.get("suffix")


def shout(text):
    return text.upper() + SUFFIX
