"""The promotion DAG's wait for pending transition requests."""

from __future__ import annotations

from typing import Any

from databricks_registry.sensors import TransitionRequestSensor

# `dag.test()` (and `airflow dags test`) record this as the run's triggering user.
DAG_TEST_USER = "dag_test"


class PendingRequestsSensor(TransitionRequestSensor):
    """`TransitionRequestSensor` that waits in the triggerer in a deployment, and in-process under `dag.test()`.

    `dag.test()` runs a deferred trigger inline and ignores the deferral's timeout: with nothing pending, the run
    would wait forever instead of ending skipped after `timeout`. Poking in-process keeps `timeout`/`soft_fail`.
    """

    def execute(self, context: Any) -> Any:
        dag_run = context.get("dag_run")
        if self.deferrable and getattr(dag_run, "triggering_user_name", None) == DAG_TEST_USER:
            self.log.info("Run started by dag.test(): polling in-process so that the %ss timeout applies.",
                          self.timeout)
            self.deferrable = False
            self.mode = "poke"
        return super().execute(context)
