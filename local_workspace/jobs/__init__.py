"""Jobs API 2.2/2.1 (`runs/*`, saved jobs and `run-now`) for notebook tasks, laid out like a moto service.

`models.py` tables and state transitions, `submit_spec.py`, `job_settings.py` and `requests.py` request models
(pydantic), `serialize.py` API shapes, `responses.py` and `saved_responses.py` handlers, `saved.py` saved jobs
and `run_now` (also called directly), `run_store.py` run creation, `urls.py` the Flask blueprint, `dispatcher.py`
the background scheduler that starts runs (`executor.py` runs a run's task graph, `runner_process.py` starts and
watches the notebook processes, `git_checkout.py`, `notebooks.py`).
"""
