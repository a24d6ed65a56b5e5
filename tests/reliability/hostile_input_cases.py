"""The bad-input corpus: malformed requests to every kind of endpoint the local workspace serves.

Each `Case` is one HTTP request that must answer 4xx in Databricks' JSON error shape and change nothing.
`status`/`error_code` pin the answer where it matters (size limits, nesting, numbers); otherwise any 4xx will do.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from local_workspace.signing import SIGNED_DOWNLOAD_PATH as SIGNED_DOWNLOAD

MODEL = "hostile input model"
ARTIFACT = "/WorkspaceInternal/Mlflow/Artifacts/1/Runs/seeded/existing.txt"
FILES = "/api/2.0/fs/files/WorkspaceInternal/Mlflow/Artifacts/1/Runs/seeded"
DIRS = "/api/2.0/fs/directories/WorkspaceInternal/Mlflow/Artifacts/1/Runs/seeded"
REG = "/api/2.0/mlflow"

JOBS = "/api/2.2/jobs"

HUGE = "99999999999999999999"  # 20 digits: beyond int64
FORTY = "9" * 40
SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() is True, int() fails
ARABIC_ONE = "\u0661"  # int() reads it as 1
DEEP = "[" * 100_000 + "]" * 100_000
JUST_TOO_DEEP = "[" * 65 + "]" * 65
TWENTY_MB = "x" * (20 * 1024 * 1024)
BAD_UTF8 = b'{"name": "\xff\xfe\xfd"}'
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    params: dict | None = None
    json: object = None
    data: bytes | str | None = None
    headers: dict = field(default_factory=dict)
    auth: str | None = None  # None: the valid token; "": no Authorization header; else that header
    status: int | None = None
    error_code: str | None = None


def raw(id_, method, path, data, **kw) -> Case:
    return Case(id_, method, path, data=data, headers=JSON_HEADERS, **kw)


def _version_cases(call: str, method: str, extra: dict) -> list[Case]:
    """The version field, in every wrong shape, on one registry call (query string for GET/DELETE)."""
    in_query = method in ("GET", "DELETE")
    values = {
        "huge": HUGE,
        "forty-digits": FORTY,
        "superscript-two": SUPERSCRIPT_TWO,
        "arabic-one": ARABIC_ONE,
        "negative": "-1",
        "zero": "0",
        "hex": "0x1",
        "spaces": " 1 ",
    }
    if not in_query:
        values.update({"float": 1.5, "bool": True, "list": [1], "object": {"v": 1}, "json-number-1e30": 10**30})
    cases = []
    for label, value in values.items():
        body = {"name": MODEL, **extra, "version": value}
        # MLflow's own model-versions/get looks up -1 and 0 and answers 404, as Databricks does.
        code = None if call == "model-versions/get" and label in ("negative", "zero") else "INVALID_PARAMETER_VALUE"
        cases.append(
            Case(
                f"registry-{call}-version-{label}",
                method,
                f"{REG}/{call}",
                params=body if in_query else None,
                json=None if in_query else body,
                error_code=code,
            )
        )
    return cases


def registry_cases() -> list[Case]:
    stage = {"stage": "Staging"}
    decide = {"stage": "Staging", "archive_existing_versions": False}
    cases = [
        *_version_cases("transition-requests/create", "POST", stage),
        *_version_cases("transition-requests/list", "GET", {}),
        *_version_cases("comments/create", "POST", {"comment": "hi"}),
        *_version_cases("model-versions/get", "GET", {}),  # MLflow's own handler
        Case(
            "registry-approve-version-huge",
            "POST",
            f"{REG}/transition-requests/approve",
            json={"name": MODEL, "version": FORTY, **decide},
            error_code="INVALID_PARAMETER_VALUE",
        ),
        Case(
            "registry-reject-version-arabic",
            "POST",
            f"{REG}/transition-requests/reject",
            json={"name": MODEL, "version": ARABIC_ONE, **stage},
            error_code="INVALID_PARAMETER_VALUE",
        ),
        Case(
            "registry-delete-version-superscript",
            "DELETE",
            f"{REG}/transition-requests/delete",
            params={"name": MODEL, "version": SUPERSCRIPT_TWO, "stage": "Staging", "creator": "x"},
        ),
        Case(
            "registry-transition-stage-version-huge",
            "POST",
            f"{REG}/databricks/model-versions/transition-stage",
            json={"name": MODEL, "version": HUGE, **decide},
        ),
        Case(
            "mlflow-transition-stage-version-forty",
            "POST",
            f"{REG}/model-versions/transition-stage",
            json={"name": MODEL, "version": FORTY, **decide},
        ),
        Case(
            "registry-create-stage-unknown",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": MODEL, "version": "1", "stage": "Prod"},
        ),
        Case(
            "registry-create-stage-number",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": MODEL, "version": "1", "stage": 5},
        ),
        Case(
            "registry-create-stage-5000-chars",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": MODEL, "version": "1", "stage": "S" * 5000},
        ),
        Case(
            "registry-create-name-missing",
            "POST",
            f"{REG}/transition-requests/create",
            json={"version": "1", "stage": "Production"},
        ),
        Case(
            "registry-create-name-list",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": [MODEL], "version": "1", "stage": "Production"},
        ),
        Case(
            "registry-create-name-5000-chars",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": "n" * 5000, "version": "1", "stage": "Production"},
        ),
        Case(
            "registry-create-unknown-model",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": "no such model", "version": "1", "stage": "Production"},
            status=404,
        ),
        Case(
            "registry-create-unknown-version",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": MODEL, "version": "999", "stage": "Production"},
            status=404,
        ),
        Case(
            "registry-create-comment-object",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": MODEL, "version": "1", "stage": "Production", "comment": {"a": 1}},
        ),
        Case(
            "registry-create-comment-over-limit",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": MODEL, "version": "1", "stage": "Production", "comment": "c" * 65_537},
            status=400,
            error_code="INVALID_PARAMETER_VALUE",
        ),
        Case(
            "registry-create-comment-20MB",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": MODEL, "version": "1", "stage": "Production", "comment": TWENTY_MB},
            status=413,
            error_code="REQUEST_LIMIT_EXCEEDED",
        ),
        Case(
            "registry-create-comment-lone-surrogate",
            "POST",
            f"{REG}/transition-requests/create",
            json={"name": MODEL, "version": "1", "stage": "Production", "comment": "\ud800"},
        ),
        raw("registry-create-body-array", "POST", f"{REG}/transition-requests/create", "[1, 2]"),
        raw("registry-create-body-null", "POST", f"{REG}/transition-requests/create", "null"),
        raw("registry-create-body-not-json", "POST", f"{REG}/transition-requests/create", "name=x&version=1"),
        raw(
            "registry-create-body-invalid-utf8",
            "POST",
            f"{REG}/transition-requests/create",
            BAD_UTF8,
            error_code="MALFORMED_REQUEST",
        ),
        raw(
            "registry-create-body-100000-deep",
            "POST",
            f"{REG}/transition-requests/create",
            DEEP,
            status=400,
            error_code="MALFORMED_REQUEST",
        ),
        raw(
            "registry-create-body-65-deep",
            "POST",
            f"{REG}/transition-requests/create",
            '{"name": ' + JUST_TOO_DEEP + "}",
            status=400,
            error_code="MALFORMED_REQUEST",
        ),
        Case(
            "registry-approve-archive-maybe",
            "POST",
            f"{REG}/transition-requests/approve",
            json={"name": MODEL, "version": "1", "stage": "Staging", "archive_existing_versions": "maybe"},
        ),
        Case(
            "registry-approve-archive-missing",
            "POST",
            f"{REG}/transition-requests/approve",
            json={"name": MODEL, "version": "1", "stage": "Staging"},
        ),
        Case(
            "registry-approve-no-open-request",
            "POST",
            f"{REG}/transition-requests/approve",
            json={"name": MODEL, "version": "1", **{**decide, "stage": "Production"}},
            status=404,
        ),
        Case(
            "registry-delete-creator-missing",
            "DELETE",
            f"{REG}/transition-requests/delete",
            params={"name": MODEL, "version": "1", "stage": "Staging"},
        ),
        Case(
            "registry-list-query-invalid-utf8",
            "GET",
            f"{REG}/transition-requests/list?name=%ff%fe&version=1",
            error_code="MALFORMED_REQUEST",
        ),
        Case("registry-list-name-missing", "GET", f"{REG}/transition-requests/list", params={"version": "1"}),
        Case(
            "comments-create-empty",
            "POST",
            f"{REG}/comments/create",
            json={"name": MODEL, "version": "1", "comment": "   "},
        ),
        Case(
            "comments-create-int", "POST", f"{REG}/comments/create", json={"name": MODEL, "version": "1", "comment": 7}
        ),
        Case(
            "comments-create-over-limit",
            "POST",
            f"{REG}/comments/create",
            json={"name": MODEL, "version": "1", "comment": "c" * 65_537},
            status=400,
        ),
        Case(
            "comments-create-20MB",
            "POST",
            f"{REG}/comments/create",
            json={"name": MODEL, "version": "1", "comment": TWENTY_MB},
            status=413,
        ),
        Case("comments-update-id-missing", "PATCH", f"{REG}/comments/update", json={"comment": "x"}),
        Case(
            "comments-update-id-5000-chars", "PATCH", f"{REG}/comments/update", json={"id": "i" * 5000, "comment": "x"}
        ),
        Case(
            "comments-update-unknown-id",
            "PATCH",
            f"{REG}/comments/update",
            json={"id": "nope", "comment": "x"},
            status=404,
        ),
        Case("comments-update-comment-list", "PATCH", f"{REG}/comments/update", json={"id": "nope", "comment": ["x"]}),
        Case(
            "comments-update-over-limit",
            "PATCH",
            f"{REG}/comments/update",
            json={"id": "nope", "comment": "c" * 65_537},
            status=400,
        ),
        Case("comments-delete-id-missing", "DELETE", f"{REG}/comments/delete"),
        Case("comments-delete-unknown-id", "DELETE", f"{REG}/comments/delete", params={"id": "nope"}, status=404),
        Case("databricks-get-model-name-missing", "GET", f"{REG}/databricks/registered-models/get"),
        Case(
            "databricks-get-model-unknown",
            "GET",
            f"{REG}/databricks/registered-models/get",
            params={"name": "no such model"},
            status=404,
        ),
        Case(
            "list-models-max-results-arabic", "GET", f"{REG}/registered-models/list", params={"max_results": ARABIC_ONE}
        ),
        Case("list-models-max-results-zero", "GET", f"{REG}/registered-models/list", params={"max_results": "0"}),
        Case("list-models-max-results-1001", "GET", f"{REG}/registered-models/list", params={"max_results": "1001"}),
        Case("list-models-max-results-huge", "GET", f"{REG}/registered-models/list", params={"max_results": HUGE}),
        Case("list-models-page-token-garbage", "GET", f"{REG}/registered-models/list", params={"page_token": "zzzz"}),
        Case(
            "list-models-page-token-5000-chars",
            "GET",
            f"{REG}/registered-models/list",
            params={"page_token": "A" * 5000},
        ),
        Case(
            "list-models-page-token-huge-offset",
            "GET",
            f"{REG}/registered-models/list",
            params={"page_token": base64.b64encode(json.dumps({"offset": int(FORTY)}).encode()).decode()},
        ),
        Case(
            "list-artifacts-path-traversal",
            "GET",
            f"{REG}/model-versions/list-artifacts",
            params={"name": MODEL, "version": "1", "path": "../../../etc"},
        ),
        Case(
            "list-artifacts-version-huge",
            "GET",
            f"{REG}/model-versions/list-artifacts",
            params={"name": MODEL, "version": HUGE},
        ),
        Case(
            "signed-uri-path-missing",
            "GET",
            f"{REG}/model-versions/get-signed-download-uri",
            params={"name": MODEL, "version": "1"},
        ),
        Case(
            "signed-uri-path-traversal",
            "GET",
            f"{REG}/model-versions/get-signed-download-uri",
            params={"name": MODEL, "version": "1", "path": "../secret"},
        ),
        Case(
            "signed-download-bad-signature",
            "GET",
            SIGNED_DOWNLOAD,
            params={"name": MODEL, "version": "1", "path": "MLmodel", "expires": "1", "signature": "forged"},
            status=403,
        ),
        Case(
            "signed-uri-version-superscript",
            "GET",
            f"{REG}/model-versions/get-signed-download-uri",
            params={"name": MODEL, "version": SUPERSCRIPT_TWO, "path": "x"},
        ),
        # MLflow's own endpoints, behind the same guard.
        raw(
            "mlflow-create-model-100000-deep",
            "POST",
            f"{REG}/registered-models/create",
            DEEP,
            error_code="MALFORMED_REQUEST",
        ),
        raw(
            "mlflow-create-model-invalid-utf8",
            "POST",
            f"{REG}/registered-models/create",
            BAD_UTF8,
            error_code="MALFORMED_REQUEST",
        ),
        Case(
            "mlflow-create-model-deep-as-text-plain",
            "POST",
            f"{REG}/registered-models/create",
            data=DEEP,
            headers={"Content-Type": "text/plain"},
            error_code="MALFORMED_REQUEST",
        ),
        Case(
            "registry-create-deep-as-text-plain",
            "POST",
            f"{REG}/transition-requests/create",
            data=DEEP,
            headers={"Content-Type": "text/plain"},
            error_code="MALFORMED_REQUEST",
        ),
        Case(
            "mlflow-log-batch-nested-timestamp-huge",
            "POST",
            f"{REG}/runs/log-batch",
            json={"run_id": "0" * 32, "metrics": [{"key": "m", "value": 1, "timestamp": HUGE, "step": 0}]},
        ),
        Case("mlflow-create-model-name-int", "POST", f"{REG}/registered-models/create", json={"name": 5}),
        Case(
            "mlflow-update-model-description-over-limit",
            "PATCH",
            f"{REG}/registered-models/update",
            json={"name": MODEL, "description": "d" * 65_537},
            status=400,
        ),
        Case(
            "mlflow-update-model-description-20MB",
            "PATCH",
            f"{REG}/registered-models/update",
            json={"name": MODEL, "description": TWENTY_MB},
            status=413,
        ),
        Case(
            "mlflow-update-version-description-over-limit",
            "PATCH",
            f"{REG}/model-versions/update",
            json={"name": MODEL, "version": "1", "description": "d" * 65_537},
            status=400,
        ),
        Case(
            "mlflow-search-models-max-results-huge",
            "GET",
            f"{REG}/registered-models/search",
            params={"max_results": HUGE},
        ),
        Case("mlflow-get-experiment-id-huge", "GET", f"{REG}/experiments/get", params={"experiment_id": HUGE}),
        Case(
            "mlflow-create-run-start-time-1e30",
            "POST",
            f"{REG}/runs/create",
            json={"experiment_id": "0", "start_time": 10**30},
        ),
        Case(
            "mlflow-search-models-page-token-huge-offset",
            "GET",
            f"{REG}/registered-models/search",
            params={"page_token": base64.b64encode(json.dumps({"offset": int(FORTY)}).encode()).decode()},
        ),
        Case(
            "mlflow-search-runs-page-token-huge-offset",
            "POST",
            f"{REG}/runs/search",
            json={
                "experiment_ids": ["0"],
                "page_token": base64.b64encode(json.dumps({"offset": int(FORTY)}).encode()).decode(),
            },
        ),
        Case("mlflow-search-runs-max-results-1e30", "POST", f"{REG}/runs/search", json={"max_results": 10**30}),
        Case(
            "mlflow-set-model-tag-lone-surrogate",
            "POST",
            f"{REG}/registered-models/set-tag",
            json={"name": MODEL, "key": "k", "value": "\udfff"},
        ),
    ]
    return cases


def _submit(**overrides) -> dict:
    task = {"task_key": "t", "notebook_task": {"notebook_path": "/Shared/none"}}
    task.update(overrides.pop("task", {}))
    return {"run_name": "hostile", "tasks": [task], **overrides}


def jobs_cases() -> list[Case]:
    cases = []
    for call in ("runs/get", "runs/get-output"):
        for label, value in {
            "huge": HUGE,
            "forty": FORTY,
            "superscript": SUPERSCRIPT_TWO,
            "arabic-one": ARABIC_ONE,
            "negative": "-1",
            "zero": "0",
            "word": "abc",
            "missing": None,
            "decimal": "1.5",
        }.items():
            params = {} if value is None else {"run_id": value}
            cases.append(Case(f"jobs-{call}-run-id-{label}", "GET", f"{JOBS}/{call}", params=params, status=400))
    cases += [
        Case("jobs-get-body-run-id-1e30", "GET", f"{JOBS}/runs/get", json={"run_id": 10**30}, status=400),
        Case("jobs-get-unknown-run", "GET", f"{JOBS}/runs/get", params={"run_id": "987654321"}, status=400),
        Case("jobs-cancel-run-id-huge", "POST", f"{JOBS}/runs/cancel", json={"run_id": HUGE}, status=400),
        Case("jobs-cancel-run-id-list", "POST", f"{JOBS}/runs/cancel", json={"run_id": [1]}, status=400),
        raw("jobs-cancel-body-array", "POST", f"{JOBS}/runs/cancel", "[1]", status=400),
        Case("jobs-list-offset-huge", "GET", f"{JOBS}/runs/list", params={"offset": HUGE}, status=400),
        Case("jobs-list-limit-negative", "GET", f"{JOBS}/runs/list", params={"limit": "-1"}, status=400),
        Case("jobs-list-limit-26", "GET", f"{JOBS}/runs/list", params={"limit": "26"}, status=400),
        Case("jobs-list-limit-arabic", "GET", f"{JOBS}/runs/list", params={"limit": ARABIC_ONE}, status=400),
        Case("jobs-list-page-token-garbage", "GET", f"{JOBS}/runs/list", params={"page_token": "!!"}, status=400),
        Case(
            "jobs-list-page-token-huge-offset",
            "GET",
            f"{JOBS}/runs/list",
            params={"page_token": base64.urlsafe_b64encode(f"offset:{FORTY}".encode()).decode()},
            status=400,
        ),
        Case(
            "jobs-list-page-token-5000-chars", "GET", f"{JOBS}/runs/list", params={"page_token": "A" * 5000}, status=400
        ),
        Case("jobs-list-active-only-maybe", "GET", f"{JOBS}/runs/list", params={"active_only": "maybe"}, status=400),
        Case(
            "jobs-list-active-and-completed",
            "GET",
            f"{JOBS}/runs/list",
            params={"active_only": "true", "completed_only": "true"},
            status=400,
        ),
        Case("jobs-list-run-type-unknown", "GET", f"{JOBS}/runs/list", params={"run_type": "X"}, status=400),
        Case(
            "jobs-list-start-time-from-huge", "GET", f"{JOBS}/runs/list", params={"start_time_from": HUGE}, status=400
        ),
        Case("jobs-list-job-id-forty", "GET", f"{JOBS}/runs/list", params={"job_id": FORTY}, status=400),
        Case(
            "jobs-submit-timeout-1e30", "POST", f"{JOBS}/runs/submit", json=_submit(timeout_seconds=10**30), status=400
        ),
        Case(
            "jobs-submit-timeout-huge-string",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(timeout_seconds=HUGE),
            status=400,
        ),
        Case(
            "jobs-submit-timeout-negative", "POST", f"{JOBS}/runs/submit", json=_submit(timeout_seconds=-1), status=400
        ),
        Case(
            "jobs-submit-timeout-arabic",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(timeout_seconds=ARABIC_ONE),
            status=400,
        ),
        Case("jobs-submit-timeout-float", "POST", f"{JOBS}/runs/submit", json=_submit(timeout_seconds=1.5), status=400),
        Case(
            "jobs-submit-task-timeout-1e30",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(task={"timeout_seconds": 10**30}),
            status=400,
        ),
        Case(
            "jobs-submit-run-name-over-limit",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(run_name="r" * 4097),
            status=400,
        ),
        Case("jobs-submit-run-name-20MB", "POST", f"{JOBS}/runs/submit", json=_submit(run_name=TWENTY_MB), status=413),
        Case("jobs-submit-run-name-int", "POST", f"{JOBS}/runs/submit", json=_submit(run_name=5), status=400),
        Case(
            "jobs-submit-parameters-over-limit",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(
                task={"notebook_task": {"notebook_path": "/Shared/none", "base_parameters": {"p": "v" * 10_001}}}
            ),
            status=400,
        ),
        Case(
            "jobs-submit-parameters-20MB",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(
                task={"notebook_task": {"notebook_path": "/Shared/none", "base_parameters": {"p": TWENTY_MB}}}
            ),
            status=413,
        ),
        Case(
            "jobs-submit-parameters-nested",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(task={"notebook_task": {"notebook_path": "/Shared/none", "base_parameters": {"p": {"q": 1}}}}),
            status=400,
        ),
        Case(
            "jobs-submit-101-tasks",
            "POST",
            f"{JOBS}/runs/submit",
            json={
                "tasks": [{"task_key": f"t{i}", "notebook_task": {"notebook_path": "/Shared/none"}} for i in range(101)]
            },
            status=400,
        ),
        Case("jobs-submit-tasks-object", "POST", f"{JOBS}/runs/submit", json={"tasks": {"task_key": "t"}}, status=400),
        Case(
            "jobs-submit-task-key-101-chars",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(task={"task_key": "k" * 101}),
            status=400,
        ),
        Case(
            "jobs-submit-task-key-space",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(task={"task_key": "a b"}),
            status=400,
        ),
        Case(
            "jobs-submit-notebook-path-missing",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(task={"notebook_task": {}}),
            status=400,
        ),
        Case(
            "jobs-submit-notebook-path-relative",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(task={"notebook_task": {"notebook_path": "relative"}}),
            status=400,
        ),
        Case(
            "jobs-submit-notebook-path-nul",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(task={"notebook_task": {"notebook_path": "/Shared/a\u0000b"}}),
            status=400,
        ),
        Case(
            "jobs-submit-notebook-path-5000-chars",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(task={"notebook_task": {"notebook_path": "/" + "p" * 5000}}),
            status=400,
        ),
        Case(
            "jobs-submit-idempotency-token-65-chars",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(idempotency_token="i" * 65),
            status=400,
        ),
        Case(
            "jobs-submit-idempotency-token-int",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(idempotency_token=5),
            status=400,
        ),
        Case(
            "jobs-submit-git-url-http",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(
                git_source={"git_url": "https://example.com/r.git", "git_provider": "gitHub", "git_branch": "main"}
            ),
            status=400,
        ),
        Case(
            "jobs-submit-git-two-refs",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(
                git_source={"git_url": "/tmp/r", "git_provider": "gitHub", "git_branch": "main", "git_tag": "v1"}
            ),
            status=400,
        ),
        Case(
            "jobs-submit-depends-on-cycle",
            "POST",
            f"{JOBS}/runs/submit",
            json={
                "tasks": [
                    {
                        "task_key": "a",
                        "depends_on": [{"task_key": "b"}],
                        "notebook_task": {"notebook_path": "/Shared/x"},
                    },
                    {
                        "task_key": "b",
                        "depends_on": [{"task_key": "a"}],
                        "notebook_task": {"notebook_path": "/Shared/x"},
                    },
                ]
            },
            status=400,
        ),
        Case(
            "jobs-submit-depends-on-unknown",
            "POST",
            f"{JOBS}/runs/submit",
            json=_submit(task={"depends_on": [{"task_key": "ghost"}]}),
            status=400,
        ),
        Case(
            "jobs-submit-spark-python-task",
            "POST",
            f"{JOBS}/runs/submit",
            json={"spark_python_task": {"python_file": "x.py"}},
            status=400,
        ),
        raw(
            "jobs-submit-body-100000-deep",
            "POST",
            f"{JOBS}/runs/submit",
            DEEP,
            status=400,
            error_code="MALFORMED_REQUEST",
        ),
        raw("jobs-submit-body-invalid-utf8", "POST", f"{JOBS}/runs/submit", BAD_UTF8, status=400),
        raw("jobs-submit-body-not-json", "POST", f"{JOBS}/runs/submit", "tasks=1", status=400),
        raw("jobs-submit-body-array", "POST", f"{JOBS}/runs/submit", "[]", status=400),
        raw("jobs-submit-body-truncated", "POST", f"{JOBS}/runs/submit", '{"tasks": [', status=400),
    ]
    return cases + saved_job_cases()


def saved_job_cases() -> list[Case]:
    """jobs/create|get|list|update|reset|delete|run-now: nothing saved or run, a 400 naming the problem."""
    task = {"task_key": "t", "notebook_task": {"notebook_path": "/Shared/none"}}
    return [
        Case("jobs-get-job-id-huge", "GET", f"{JOBS}/get", params={"job_id": HUGE}, status=400),
        Case("jobs-get-unknown-job", "GET", f"{JOBS}/get", params={"job_id": "987654321"}, status=400),
        Case("jobs-list-jobs-limit-101", "GET", f"{JOBS}/list", params={"limit": "101"}, status=400),
        raw("jobs-create-body-array", "POST", f"{JOBS}/create", "[]", status=400),
        Case("jobs-create-tasks-object", "POST", f"{JOBS}/create", json={"tasks": {"task_key": "t"}}, status=400),
        Case(
            "jobs-create-python-task",
            "POST",
            f"{JOBS}/create",
            json={"tasks": [{"task_key": "t", "spark_python_task": {"python_file": "x.py"}}]},
            status=400,
        ),
        Case(
            "jobs-create-parameter-name-space",
            "POST",
            f"{JOBS}/create",
            json={"tasks": [task], "parameters": [{"name": "a b", "default": "x"}]},
            status=400,
        ),
        Case(
            "jobs-create-parameter-twice",
            "POST",
            f"{JOBS}/create",
            json={"tasks": [task], "parameters": [{"name": "a", "default": "x"}, {"name": "a", "default": "y"}]},
            status=400,
        ),
        Case(
            "jobs-reset-unknown-job",
            "POST",
            f"{JOBS}/reset",
            json={"job_id": 987654321, "new_settings": {}},
            status=400,
        ),
        Case("jobs-update-job-id-list", "POST", f"{JOBS}/update", json={"job_id": [1]}, status=400),
        Case("jobs-delete-no-job-id", "POST", f"{JOBS}/delete", json={}, status=400),
        Case("jobs-run-now-unknown-job", "POST", f"{JOBS}/run-now", json={"job_id": 987654321}, status=400),
        Case(
            "jobs-run-now-params-nested",
            "POST",
            f"{JOBS}/run-now",
            json={"job_id": 987654321, "notebook_params": {"p": {"q": 1}}},
            status=400,
        ),
        Case(
            "jobs-run-now-token-65-chars",
            "POST",
            f"{JOBS}/run-now",
            json={"job_id": 987654321, "idempotency_token": "t" * 65},
            status=400,
        ),
    ]


def files_cases() -> list[Case]:
    return [
        Case("files-put-segment-300-bytes", "PUT", f"{FILES}/{'b' * 300}", data=b"x", status=400),
        Case("files-put-path-5000-chars", "PUT", f"{FILES}/{'d/' * 2500}f", data=b"x", status=400),
        Case("files-put-nul-in-path", "PUT", f"{FILES}/a%00b", data=b"x", status=400),
        Case("files-put-outside-artifacts", "PUT", "/api/2.0/fs/files/Users/someone/x.txt", data=b"x", status=403),
        Case("files-put-dot-dot", "PUT", f"{FILES}/../../../../../../etc/x", data=b"x"),
        Case(
            "files-put-overwrite-maybe", "PUT", f"{FILES}/new.txt", params={"overwrite": "maybe"}, data=b"x", status=400
        ),
        Case(
            "files-put-existing-without-overwrite",
            "PUT",
            f"/api/2.0/fs/files{ARTIFACT}",
            params={"overwrite": "false"},
            data=b"other",
            status=409,
        ),
        Case("files-put-below-a-file", "PUT", f"/api/2.0/fs/files{ARTIFACT}/child.txt", data=b"x", status=409),
        Case("files-mkdir-on-a-file", "PUT", f"/api/2.0/fs/directories{ARTIFACT}", status=409),
        Case("files-get-missing", "GET", f"{FILES}/missing.txt", status=404),
        Case("files-get-segment-300-bytes", "GET", f"{FILES}/{'b' * 300}", status=400),
        Case("files-head-path-5000-chars", "GET", f"{DIRS}/{'d/' * 2500}", status=400),
        Case("files-list-missing-dir", "GET", f"{DIRS}/missing", status=404),
        Case("files-delete-missing", "DELETE", f"{FILES}/missing.txt", status=404),
        Case("files-delete-a-directory", "DELETE", FILES, status=404),
    ]


def auth_cases() -> list[Case]:
    target = f"{REG}/transition-requests/create"
    body = {"name": MODEL, "version": "1", "stage": "Production"}
    headers = {
        "no-header": "",
        "wrong-token": "Bearer wrong",
        "empty-bearer": "Bearer ",
        "basic-not-base64": "Basic !!!",
        "basic-no-colon": "Basic " + base64.b64encode(b"user").decode(),
        "bearer-10000-chars": "Bearer " + "t" * 10_000,
        "unknown-scheme": "Token abc",
        "basic-wrong-password": "Basic " + base64.b64encode(b"user:wrong").decode(),
    }
    cases = [
        Case(f"auth-{label}", "POST", target, json=body, auth=value, status=401, error_code="UNAUTHENTICATED")
        for label, value in headers.items()
    ]
    cases += [
        Case(
            "auth-spoofed-user-header",
            "POST",
            target,
            json=body,
            auth="",
            headers={"X-Local-Workspace-User": "admin"},
            status=401,
        ),
        Case(
            "auth-garbage-session-cookie",
            "POST",
            target,
            json=body,
            auth="",
            headers={"Cookie": "lw_session=garbage.garbage"},
            status=401,
        ),
        Case("auth-jobs-submit-without-token", "POST", f"{JOBS}/runs/submit", json=_submit(), auth="", status=401),
        Case("auth-files-put-without-token", "PUT", f"{FILES}/anon.txt", data=b"x", auth="", status=401),
        Case(
            "api-unknown-endpoint",
            "GET",
            "/api/2.0/mlflow/no-such-endpoint",
            status=404,
            error_code="ENDPOINT_NOT_FOUND",
        ),
        Case("api-wrong-method", "DELETE", f"{JOBS}/runs/submit", status=405),
    ]
    return cases


# The browser sign-in form answers HTML by design; these only check it refuses and sets no session.
LOGIN_CASES = [
    Case(
        "login-wrong-token",
        "POST",
        "/login",
        data="token=wrong&next=/",
        auth="",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Case(
        "login-empty-form",
        "POST",
        "/login",
        data="",
        auth="",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Case(
        "login-invalid-utf8",
        "POST",
        "/login",
        data=b"token=\xff\xfe",
        auth="",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Case("login-json-body", "POST", "/login", data='{"token": "wrong"}', auth="", headers=JSON_HEADERS),
    Case(
        "login-oversized-form",
        "POST",
        "/login",
        data="token=" + "t" * 200_000,
        auth="",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
]


def all_cases() -> list[Case]:
    return [*registry_cases(), *jobs_cases(), *files_cases(), *auth_cases()]
