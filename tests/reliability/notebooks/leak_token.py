# Databricks notebook source
# Writes the run's token every way a notebook can bypass Python's sys.stdout: the runner must redact them all.
import atexit
import os
import subprocess
import sys
import threading

token = os.environ["DATABRICKS_TOKEN"]
# Output written after the runner's main() returned: by an atexit handler, and by a non-daemon thread that waits
# for the main thread to end (the interpreter's shutdown joins it, before atexit handlers run).
atexit.register(lambda: os.write(2, f"atexit {token}\n".encode()))


def _after_main():
    threading.main_thread().join()
    print("thread", token, flush=True)


threading.Thread(target=_after_main).start()
os.write(1, f"fd1 {token}\n".encode())
os.write(2, f"fd2 {token}\n".encode())
half = len(token) // 2
os.write(1, token[:half].encode())
os.write(1, f"{token[half:]} split\n".encode())

# COMMAND ----------

subprocess.run(["echo", "child", token], check=True)
subprocess.run(
    [sys.executable, "-c", "import os, sys; sys.stderr.write('child-err ' + os.environ['DATABRICKS_TOKEN'] + '\\n')"],
    check=True,
)
print("print", token)
dbutils.notebook.exit("done")
