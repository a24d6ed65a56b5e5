"""`make demo REGISTRY=uc`: what the demo does differently with Unity Catalog models (scripts/demo.py runs it).

The one-time step a user does before the first run (creating the schema the model lives in), the DAG params of
the UC mode, and the summary: each candidate's validation (tags, alias `challenger`) and promotion (alias
`champion`).
"""

from __future__ import annotations

from typing import Any

from dag_runner import DagRunOutcome

from churn_contract.unity_catalog import DEFAULT_UC_CATALOG, DEFAULT_UC_MODEL_NAME, DEFAULT_UC_SCHEMA


def ensure_schema(workspace: Any, catalog: str = DEFAULT_UC_CATALOG, schema: str = DEFAULT_UC_SCHEMA) -> bool:
    """Create `catalog.schema` unless it exists (databricks-sdk, as a user would once); True if it was created."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.errors import NotFound

    client = WorkspaceClient(host=workspace.url, token=workspace.token)
    try:
        client.schemas.get(f"{catalog}.{schema}")
        return False
    except NotFound:
        client.schemas.create(name=schema, catalog_name=catalog, comment="churn models (make demo REGISTRY=uc)")
        return True


def candidate_lines(promotion: DagRunOutcome, fmt: Any) -> list[str]:
    """Per candidate: its validation, the checks, and its promotion; why nothing was decided otherwise."""
    lines: list[str] = []
    records = [t for t in promotion.task("candidate.record_validation") if t.map_index >= 0]
    if not records:
        return ["No version tagged validation_status=PENDING was found: nothing decided."]
    for record in records:
        validation = record.xcom.get("return_value") or {}
        result = promotion.value("candidate.read_test_result", map_index=record.map_index) or {}
        promoted = promotion.value("candidate.promote", map_index=record.map_index) or {}
        version = validation.get("version", "?")
        lines.append("")
        lines.append(
            f"Version {version}: validation_status={validation.get('validation_status', record.state)}"
            + (f" ({validation['reason']})" if validation.get("reason") else "")
        )
        if result.get("champion_version"):
            lines.append(f"  compared with @champion (version {result['champion_version']})")
        for check in result.get("checks", []):
            mark = "pass" if check.get("passed") else "FAIL"
            lines.append(f"  [{mark}] {check['name']:<20} measured: {fmt(check.get('measured'))}")
        moved = [f"@{a['alias']} -> v{a['version']}" for a in validation.get("aliases_moved", [])]
        moved += [f"@{a['alias']} -> v{a['version']}" for a in promoted.get("aliases_moved", [])]
        verdict = promoted.get("verdict") or "not promoted"
        approver = f" (approval: {promoted['approved_by']})" if promoted.get("approved_by") else ""
        previous = f"; replaced champion v{promoted['previous_champion']}" if promoted.get("previous_champion") else ""
        lines.append(f"  promotion: {verdict}{approver}{previous}; aliases moved: {', '.join(moved) or 'none'}")
    return lines


def print_summary(retrain: DagRunOutcome, promotion: DagRunOutcome, fmt: Any) -> None:
    model = retrain.value("read_training_result", "model_name") or DEFAULT_UC_MODEL_NAME
    print()
    print(f"Unity Catalog model {model}: trained version {retrain.value('read_training_result', 'version')}")
    for line in candidate_lines(promotion, fmt):
        print(line)
    print(
        f"\nIn Catalog Explorer (or `MlflowClient(registry_uri='databricks-uc')`): load the champion with "
        f"mlflow.pyfunc.load_model('models:/{model}@champion')."
    )
