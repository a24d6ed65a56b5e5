# Databricks notebook source
dbutils.jobs.taskValues.set("model_version", 7)
dbutils.jobs.taskValues.set("metrics", {"f1": 0.6})
