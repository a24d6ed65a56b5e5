"""Jobs API 2.2/2.1 `runs/*` for notebook tasks, laid out like a moto service.

`models.py` tables and state transitions, `submit_spec.py` request validation, `serialize.py` API shapes,
`responses.py` handlers, `urls.py` the Flask blueprint, `dispatcher.py` the background scheduler that starts
notebook subprocesses (`executor.py`, `git_checkout.py`, `notebooks.py`).
"""
