"""The notebooks' exit values (`dbutils.notebook.exit(json)`), one typed model each.

The notebook code builds these models and exits with `to_json()`; the DAG side reads the exit value back with
`parse(...)`, which raises `NotebookResultError` naming the bad field, so a notebook that exits with anything else
fails the Airflow task before any registry change.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError

from churn_contract.unity_catalog import DEFAULT_REGISTRY_MODE, RegistryMode


class NotebookResultError(ValueError):
    """A notebook's exit value does not follow its contract."""


def _positive_integer_text(value: Any) -> Any:
    """Model versions are strings in the REST API; a notebook may hand back an int. Either way "3", never "three"."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text.isdigit() or int(text) < 1:
        raise ValueError('must be a positive integer (as a string, e.g. "3")')
    return str(int(text))


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty")
    return value


def none_as(empty: Any) -> BeforeValidator:
    """Read a JSON null as `empty` (e.g. "" or {})."""
    return BeforeValidator(lambda value: empty if value is None else value)


ModelVersion = Annotated[str, BeforeValidator(_positive_integer_text)]
# JSON has no inf or NaN (to_json() would write null, which the reader refuses): a non-finite metric is refused
# where the notebook builds its result, so a notebook never exits with what the DAG side cannot read.
StrictFinite = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _NotebookResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    notebook: ClassVar[str]

    @classmethod
    def parse(cls, payload: Any) -> Self:
        """Validate a decoded exit value; `NotebookResultError` names the first bad field."""
        if not isinstance(payload, dict):
            raise NotebookResultError(f"{cls.notebook}: exit value must be a JSON object, got {type(payload).__name__}")
        try:
            return cls.model_validate(payload)
        except ValidationError as exc:
            raise NotebookResultError(_explain(cls.notebook, exc, payload)) from None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        """The notebook's exit value."""
        return self.model_dump_json()


def _explain(notebook: str, exc: ValidationError, payload: dict) -> str:
    error = exc.errors(include_url=False)[0]
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
    if error["type"] == "missing":
        keys = f" (keys: {sorted(payload)})" if len(error["loc"]) == 1 else ""
        return f"{notebook}: exit value has no {field!r}{keys}"
    return f"{notebook}: {field!r}: {error['msg'].removeprefix('Value error, ')}, got {error['input']!r}"


class TrainingData(BaseModel):
    """The exact data a version was trained on: the table's rows at `delta_version` whose month began before
    `as_of` ("" = all rows); `months` = [first, last] month of those rows."""

    model_config = ConfigDict(frozen=True)

    source_table: Annotated[str, Strict(), AfterValidator(not_blank)]
    delta_version: int | None = None
    as_of: str = ""
    months: list[str] = Field(default_factory=list)
    n_rows: Annotated[int, Field(ge=0)] = 0

    def dataset_name(self) -> str:
        """e.g. "bank_churn_analysis.raw_data@v3<2025-03-01" (the MLflow dataset name)."""
        version = "" if self.delta_version is None else f"@v{self.delta_version}"
        return f"{self.source_table}{version}" + (f"<{self.as_of}" if self.as_of else "")

    def describe(self) -> str:
        """e.g. "12500 rows, 2025-01..2025-02, Delta v1"."""
        months = "..".join(dict.fromkeys(self.months)) or "no months"
        version = "" if self.delta_version is None else f", Delta v{self.delta_version}"
        return f"{self.n_rows} rows, {months}{version}"


class TrainingResult(_NotebookResult):
    """Exit value of `retrain_churn_model`: `{model_name, version, run_id, metrics, n_rows, automl_backend}`, plus
    `training_data` (what it trained on; absent from notebooks older than the record) and `registry` (where the
    version was registered: "workspace" or "uc"; absent = the workspace registry, as before Unity Catalog)."""

    notebook: ClassVar[str] = "retraining notebook"

    model_name: Annotated[str, Strict(), AfterValidator(not_blank)]
    version: ModelVersion
    run_id: Annotated[str, Strict()]
    metrics: dict[str, StrictFinite]
    n_rows: Annotated[int, Strict(), Field(gt=0)]
    automl_backend: Annotated[str, none_as("unknown")] = "unknown"  # null: an older notebook did not know
    training_data: TrainingData | None = None
    registry: Annotated[RegistryMode, none_as(DEFAULT_REGISTRY_MODE)] = DEFAULT_REGISTRY_MODE


class CheckResult(BaseModel):
    """One named check of the candidate test. `measured` and `threshold` are JSON values of the check's own shape."""

    model_config = ConfigDict(frozen=True)

    name: Annotated[str, Strict()]
    passed: Annotated[bool, Strict()]
    measured: Any = None
    threshold: Any = None
    detail: Annotated[str, none_as("")] = ""


class CandidateTestResult(_NotebookResult):
    """Exit value of `test_candidate_model`: `{passed, checks[], metrics, champion_version, evaluation_run_id,
    report_markdown}`. `passed` is the verdict under the run's mode (a dry run passes with failed checks)."""

    notebook: ClassVar[str] = "candidate-test notebook"

    passed: Annotated[bool, Strict()]
    checks: list[CheckResult]
    metrics: Annotated[dict[str, Finite], none_as({})] = Field(default_factory=dict)
    champion_version: Annotated[str | None, BeforeValidator(lambda v: None if v in (None, "") else str(v))] = None
    evaluation_run_id: str | None = None
    report_markdown: Annotated[str, none_as("")] = ""

    @property
    def failed_checks(self) -> list[str]:
        return [check.name for check in self.checks if not check.passed]
