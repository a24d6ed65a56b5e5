"""The Unity Catalog flow's names, shared by the retraining notebook, the test notebook and the DAGs.

Unity Catalog models have no stages or transition requests: a candidate is a version tagged
`validation_status=PENDING`; tests record `PASSED`/`FAILED` (and one tag per check); a passing version gets the
alias `challenger`; approval (the Airflow review step, or a person setting `approval=Approved` on the version in
Databricks -- the deployment-job convention) moves the alias `champion` to it. Databricks' migration guide maps
Staging -> `challenger` and Production -> `champion`.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from churn_contract.options import DEFAULT_MODEL_NAME

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
# One tag per check: `check_<name>` = PASSED | FAILED. Unity Catalog tag keys may not contain `. , - = / :`.
CHECK_TAG_PREFIX = "check_"

APPROVAL_TAG = "approval"
APPROVED = "Approved"
REJECTED = "Rejected"

CHALLENGER_ALIAS = "challenger"
CHAMPION_ALIAS = "champion"
# Set on the version that loses `champion`: when, and to which version.
REPLACED_AT_TAG = "champion_replaced_at"
REPLACED_BY_TAG = "champion_replaced_by"

# The MLflow registry URI of each mode on Databricks (`databricks` alone means the workspace registry).
REGISTRY_URIS: dict[str, str] = {"workspace": "databricks", "uc": "databricks-uc"}
# catalog.schema.model: three dot-separated identifiers (letters, digits, underscores).
_IDENTIFIER = r"[A-Za-z0-9_]+"
THREE_LEVEL_NAME = rf"^{_IDENTIFIER}\.{_IDENTIFIER}\.{_IDENTIFIER}$"


def is_three_level_name(name: str) -> bool:
    """True for a Unity Catalog model name `catalog.schema.model`."""
    return re.fullmatch(THREE_LEVEL_NAME, name or "") is not None


def registry_of_name(name: str) -> RegistryMode:
    """The registry a model name belongs to when nothing else says: three-level names are Unity Catalog's."""
    return "uc" if is_three_level_name(name) else "workspace"


def default_model_name(registry: str) -> str:
    """The mode's default model: "Churn Prediction Bank" (workspace registry) or main.churn.churn_prediction_bank."""
    return DEFAULT_UC_MODEL_NAME if parse_registry_mode(registry) == "uc" else DEFAULT_MODEL_NAME


def parse_registry_mode(value: object, source: str = "registry") -> RegistryMode:
    """`value` as a registry mode; a clear error naming `source` (a param, a widget, an env var) otherwise."""
    text = str(value or "").strip().lower()
    if text not in REGISTRY_MODES:
        raise ValueError(f"{source} must be one of {list(REGISTRY_MODES)}, got {value!r}")
    return text  # type: ignore[return-value]  # checked against REGISTRY_MODES just above
