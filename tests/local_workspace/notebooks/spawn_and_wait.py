# Databricks notebook source
# Starts a child process that outlives nothing: cancelling the run must kill it with the notebook.
import pathlib
import subprocess
import time

dbutils.widgets.text("pid_file", "")
child = subprocess.Popen(["sleep", "300"])
pathlib.Path(dbutils.widgets.get("pid_file")).write_text(str(child.pid))
time.sleep(300)
