"""Notebook runner: executes Databricks source-format `.py` notebooks in their own process.

`python -m local_workspace.runner --notebook PATH --params FILE --result FILE` runs one notebook with a
`dbutils` shim and writes `{status, result, truncated, error, error_trace}` to the result file.
The server never imports notebook code: the jobs dispatcher only starts this module as a subprocess.
"""
