# Databricks notebook source
# MAGIC %sql
# MAGIC SELECT 1
