"""The Unity Catalog flow's names, shared by the retraining notebook, the test notebook and the DAGs.

Unity Catalog models have no stages or transition requests: a candidate is a version tagged
`validation_status=PENDING`; tests record `PASSED`/`FAILED` (and one tag per check); a passing version gets the
alias `challenger`; approval (the Airflow review step, or a person setting `approval=Approved` on the version in
Databricks -- the deployment-job convention) moves the alias `champion` to it. Databricks' migration guide maps
Staging -> `challenger` and Production -> `champion`.
"""

from __future__ import annotations

from typing import Literal, get_args

RegistryMode = Literal["workspace", "uc"]
REGISTRY_MODES: tuple[str, ...] = get_args(RegistryMode)
DEFAULT_REGISTRY_MODE: RegistryMode = "workspace"
# Config default for the DAGs' `registry` param (a trigger param overrides it per run).
REGISTRY_MODE_ENV = "CHURN_REGISTRY"

# catalog.schema.model; UC identifiers are lower case (no spaces, unlike the workspace registry's name).
DEFAULT_UC_CATALOG = "main"
DEFAULT_UC_SCHEMA = "churn"
DEFAULT_UC_MODEL_NAME = f"{DEFAULT_UC_CATALOG}.{DEFAULT_UC_SCHEMA}.churn_prediction_bank"

VALIDATION_STATUS_TAG = "validation_status"
ValidationStatus = Literal["PENDING", "PASSED", "FAILED"]
PENDING, PASSED, FAILED = get_args(ValidationStatus)
# One tag per check: `check.<name>` = PASSED | FAILED.
CHECK_TAG_PREFIX = "check."

APPROVAL_TAG = "approval"
APPROVED = "Approved"
REJECTED = "Rejected"

CHALLENGER_ALIAS = "challenger"
CHAMPION_ALIAS = "champion"
# Set on the version that loses `champion`: when, and to which version.
REPLACED_AT_TAG = "champion_replaced_at"
REPLACED_BY_TAG = "champion_replaced_by"
