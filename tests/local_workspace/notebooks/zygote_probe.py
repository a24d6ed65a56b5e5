# Databricks notebook source
# Reports what a run sees of its process, then leaves marks a later run must NOT see (every run is isolated).
import json
import os
import random
import sys

preloaded = "mlflow" in sys.modules  # before this notebook imports anything heavy: the zygote did

import numpy

dbutils.widgets.text("mark", "")
mark = dbutils.widgets.get("mark")
seen = {
    "preloaded": preloaded,
    "env_mark": os.environ.get("ZYGOTE_PROBE_MARK"),
    "module_mark": getattr(json, "zygote_probe_mark", None),
    "injected_module": "zygote_probe_injected" in sys.modules,
    "cwd": os.getcwd(),
    "file": __file__,
    "sys_path0": sys.path[0],
    "argv0": sys.argv[0],
    "pid": os.getpid(),
    "ppid": os.getppid(),
    "pgid": os.getpgid(0),
    "sid": os.getsid(0),
    "random": random.random(),
    "numpy_random": float(numpy.random.random()),
    "token_set": bool(os.environ.get("DATABRICKS_TOKEN")),
}
os.environ["ZYGOTE_PROBE_MARK"] = mark
json.zygote_probe_mark = mark
sys.modules["zygote_probe_injected"] = type(sys)("zygote_probe_injected")
os.chdir("/")
dbutils.notebook.exit(json.dumps(seen))
