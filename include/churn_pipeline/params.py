"""The churn DAGs' params, generated from `churn_contract.options` where the notebooks need
the same facts (model name, table, label column, check thresholds, test mode, AutoML metric).

Param names, defaults and descriptions are what users see in the trigger form; the test notebook's widgets carry
the same names and defaults (`tests/churn/test_contract_agreement.py` proves it).
"""

from __future__ import annotations

from airflow.sdk import Param

from churn_contract import options
from churn_pipeline.config import JobConfig

STAGES = ("Staging", "Production")
# JSON-schema keywords a candidate-test option carries over into its Param (titles are widget labels, not params').
_SCHEMA_KEYWORDS = ("type", "enum", "minimum", "maximum", "exclusiveMinimum")


def model_name_param(description: str) -> Param:
    return Param(options.DEFAULT_MODEL_NAME, type="string", minLength=1, description=description)


def target_stage_param(description: str) -> Param:
    return Param("Staging", enum=list(STAGES), description=description)


def cluster_profile_param(jobs: JobConfig) -> Param:
    return Param(
        jobs.default_profile,
        enum=sorted(jobs.profiles),
        description="Compute profile from include/config/databricks_jobs.yaml",
    )


def source_table_param() -> Param:
    return Param(
        options.DEFAULT_SOURCE_TABLE,
        type="string",
        pattern=r"^[\w]+(\.[\w]+){1,2}$",
        description="Training table: schema.table or catalog.schema.table",
    )


def target_col_param() -> Param:
    return Param(
        options.DEFAULT_TARGET_COL, type="string", minLength=1, description="Label column (1 = the customer left)"
    )


def primary_metric_param() -> Param:
    return Param(
        options.DEFAULT_PRIMARY_METRIC, enum=list(options.PRIMARY_METRICS), description="Metric AutoML optimises"
    )


def candidate_test_params() -> dict[str, Param]:
    """One Param per check threshold and the test mode, in the contract's order, with its default and bounds."""
    properties = options.CandidateTestOptions.model_json_schema()["properties"]
    return {
        name: Param(
            field.default,
            description=field.description,
            **{key: properties[name][key] for key in _SCHEMA_KEYWORDS if key in properties[name]},
        )
        for name, field in options.CandidateTestOptions.model_fields.items()
    }


def candidate_test_parameters() -> dict[str, str]:
    """The test notebook's threshold and mode widgets, filled from the params of the same names."""
    return {name: f"{{{{ params.{name} }}}}" for name in options.CandidateTestOptions.model_fields}
