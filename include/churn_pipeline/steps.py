"""Bodies of the DAGs' Python tasks, kept out of the DAG files so they are unit-testable and parse stays cheap."""

from __future__ import annotations

from typing import Any

from churn_pipeline.registry_mode import RunTarget
from churn_pipeline.results import CandidateTestResult, NotebookResultError, TrainingResult, request_comment


def _notebook_result(run_id: Any, databricks_conn_id: str) -> Any:
    # Imported at run time: the registry package is small, but parse time should not pay for it twice.
    from databricks_registry.notebook_output import read_notebook_result

    if run_id in (None, ""):
        raise NotebookResultError("no Databricks run id was recorded by the notebook task")
    return read_notebook_result(int(run_id), databricks_conn_id=databricks_conn_id)


def collect_training_result(
    run_id: Any, run_page_url: str | None, expected: RunTarget | str, databricks_conn_id: str
) -> dict[str, Any]:
    """Read and validate the retraining notebook's exit JSON; add the comment for the Staging request."""
    return validated_training_result(_notebook_result(run_id, databricks_conn_id), run_page_url, expected)


def validated_training_result(exit_value: Any, run_page_url: str | None, expected: RunTarget | str) -> dict[str, Any]:
    """The retraining notebook's exit value, validated, as `read_training_result` returns it. `expected`: the run's
    registry and model (a bare name: the workspace registry)."""
    result = TrainingResult.parse(exit_value)
    if isinstance(expected, str):
        expected = RunTarget("workspace", expected)
    if result.model_name != expected.model_name:
        raise NotebookResultError(
            f"retraining notebook registered {result.model_name!r}, but this run was asked for "
            f"{expected.model_name!r}: not requesting a transition for the wrong model"
        )
    if result.registry != expected.registry:
        raise NotebookResultError(
            f"retraining notebook registered to the {result.registry} registry, but this run was asked for the "
            f"{expected.registry} registry: not putting the version up for testing"
        )
    return {**result.to_dict(), "comment": request_comment(result, run_page_url), "run_page_url": run_page_url}


def collect_test_result(run_id: Any, databricks_conn_id: str) -> dict[str, Any]:
    """Read and validate the candidate-test notebook's exit JSON (the decision operator's `test_result`)."""
    return validated_test_result(_notebook_result(run_id, databricks_conn_id))


def validated_test_result(exit_value: Any) -> dict[str, Any]:
    """The candidate-test notebook's exit value, validated, as `read_test_result` returns it (the decision
    operator's `test_result`)."""
    result = CandidateTestResult.parse(exit_value)
    return {**result.to_dict(), "failed_checks": result.failed_checks}


def select_requests(events: list[dict[str, Any]] | None, versions: str = "") -> list[dict[str, Any]]:
    """The pending requests this run tests: all of them, or only the versions named by the `version` param
    ("3" or "3,4"). The sensor *also* watches named versions older than its look-back window; this keeps the
    run to exactly those."""
    wanted = {part.strip() for part in str(versions or "").split(",") if part.strip()}
    chosen = [event for event in events or [] if not wanted or str(event.get("version")) in wanted]
    return chosen
