"""Jobs API 2.2/2.1 `runs/*` for notebook tasks, laid out like a moto service.

`models.py` tables and state transitions, `submit_spec.py` and `requests.py` request models (pydantic),
`serialize.py` API shapes, `responses.py` handlers, `urls.py` the Flask blueprint, `dispatcher.py` the background
scheduler that starts runs (`executor.py` runs a run's task graph, `runner_process.py` starts and watches the
notebook processes, `git_checkout.py`, `notebooks.py`).
"""
