"""Anchor for bench_dag_parse.py: a DAG written the plain provider way (three notebook tasks with
DatabricksSubmitRunOperator, literal cluster spec, no custom code). Not deployed: it lives in bench/."""

from __future__ import annotations

from airflow.sdk import DAG
from plain_notebook_tasks import DAG_SETTINGS, prepare_train_evaluate

with DAG(dag_id="anchor_plain_provider", **DAG_SETTINGS):
    prepare_train_evaluate()
