"""Workspace security (issue 9, defects 10 and 11; issue 8's login target), over real HTTP.

Login `next` is same-origin only and never crashes; session cookies die with `/logout` (in every worker) and with
a token rotation; the token is never on a command line, in a run's logs or files, or in server.log; the access
log has no query strings; a malformed Files API path answers a JSON 4xx.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from local_workspace import cli
from local_workspace.launcher import start_workspace

sys.path.insert(0, str(Path(__file__).parent))
from hostile_input_support import wait_for
from support.run_logs import run_page_logs

REPO_ROOT = Path(__file__).resolve().parents[2]
LEAK_NOTEBOOK = "/Workspace/tests/reliability/notebooks/leak_token"
HTML = {"Accept": "text/html"}


def login(url: str, token: str, next_path: str = "/") -> requests.Response:
    return requests.post(url + "/login", data={"token": token, "next": next_path}, allow_redirects=False, timeout=30)


def session_cookie(url: str, token: str) -> str:
    response = login(url, token)
    assert response.status_code == 303, response.text
    return response.cookies["lw_session"]


def cookie_works(url: str, cookie: str) -> bool:
    response = requests.get(
        url + "/ajax-api/2.0/mlflow/experiments/search?max_results=1", cookies={"lw_session": cookie}, timeout=30
    )
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def hidden_next(page: str) -> str:
    match = re.search(r'name="next" value="([^"]*)"', page)
    assert match, page
    return html.unescape(match.group(1))


# --- login `next` -------------------------------------------------------------------------------------------

OFF_SITE = [
    "/%09/evil.example",
    "/\t/evil.example",
    "//evil.example",
    "/%2F/evil.example",
    "/%2509/evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "https://evil.example/",
    "evil.example",
    "/%0d%0a/evil.example",
    "/x\r\nSet-Cookie: a=b",
    "/x%0D%0ALocation:%20https://evil.example",
    "/\u2028/evil.example",
    " /x",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site_nor_crashes(workspace, target):
    response = login(workspace.url, workspace.token, target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Set-Cookie: a=b" not in str(response.headers)
    page = requests.get(workspace.url + "/login", params={"next": target}, timeout=30)
    assert page.status_code == 200 and hidden_next(page.text) == "/"


def test_protected_page_redirects_to_login_and_back_to_it(workspace):
    """A browser sent to /login from a page lands on that page (path and query) after signing in."""
    asked = "/static-files/index.html?view=models&name=churn%20model"
    first = requests.get(workspace.url + asked, headers=HTML, allow_redirects=False, timeout=30)
    assert first.status_code == 302
    location = urlparse(first.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [asked]

    page = requests.get(workspace.url + first.headers["Location"], timeout=30)
    assert page.status_code == 200
    next_path = hidden_next(page.text)
    assert next_path == asked

    signed_in = login(workspace.url, workspace.token, next_path)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == next_path
    landed = requests.get(workspace.url + signed_in.headers["Location"], cookies=signed_in.cookies, timeout=30)
    assert landed.status_code == 200


def test_login_page_keeps_the_url_fragment(workspace):
    """MLflow's UI routes live in the fragment (`/#/models/x`), which only the browser sees: the page adds it."""
    page = requests.get(workspace.url + "/login?next=/", timeout=30).text
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert script and "location.hash" in script.group(1)
    if shutil.which("node") is None:
        return  # the page check above still holds; running the script needs a JavaScript engine
    harness = (
        'var field={value:"/"};var document={getElementById:function(){return {elements:{next:field}};}};'
        'var location={hash:"#/models/churn/versions/3"};' + script.group(1) + ";console.log(field.value);"
    )
    out = subprocess.run(["node", "-e", harness], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "/#/models/churn/versions/3", out.stderr
    assert login(workspace.url, workspace.token, out.stdout.strip()).headers["Location"] == "/#/models/churn/versions/3"


def test_signed_in_browser_goes_straight_to_next(workspace):
    cookie = session_cookie(workspace.url, workspace.token)
    again = requests.get(
        workspace.url + "/login",
        params={"next": "/#/experiments/0"},
        cookies={"lw_session": cookie},
        allow_redirects=False,
        timeout=30,
    )
    assert again.status_code == 303 and again.headers["Location"] == "/#/experiments/0"


# --- session cookies: revocable, bound to the token ------------------------------------------------------------


def _bearer(workspace) -> dict:
    return {"Authorization": f"Bearer {workspace.token}"}


def _new_version(workspace) -> tuple[str, str]:
    name = "csrf-" + os.urandom(4).hex()
    base = workspace.url + "/api/2.0/mlflow"
    assert requests.post(
        base + "/registered-models/create", json={"name": name}, headers=_bearer(workspace), timeout=30
    ).ok
    created = requests.post(
        base + "/model-versions/create",
        json={"name": name, "source": "dbfs:/x"},
        headers=_bearer(workspace),
        timeout=30,
    )
    assert created.ok, created.text
    return name, created.json()["model_version"]["version"]


def _cookie_request_transition(
    workspace, cookie: str, name: str, version: str, headers: dict, prefix: str = "/api"
) -> requests.Response:
    """What a page's no-preflight `fetch(..., {method: "POST", body, credentials: "include"})` sends: a text/plain
    body, which the registry's JSON parsing accepts."""
    body = f'{{"name": "{name}", "version": "{version}", "stage": "Production"}}'
    return requests.post(
        f"{workspace.url}{prefix}/2.0/mlflow/transition-requests/create",
        data=body,
        headers={"Content-Type": "text/plain", **headers},
        cookies={"lw_session": cookie},
        timeout=30,
    )


def _open_requests(workspace, name: str, version: str) -> list:
    response = requests.get(
        workspace.url + "/api/2.0/mlflow/transition-requests/list",
        params={"name": name, "version": version},
        headers=_bearer(workspace),
        timeout=30,
    )
    assert response.ok, response.text
    return response.json()["requests"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://sibling.localhost", "Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
        {},  # neither header: refused too
    ],
    ids=["cross-site", "same-site", "opaque-origin", "no-origin"],
)
def test_cookie_write_from_another_origin_is_refused(workspace, headers):
    name, version = _new_version(workspace)
    cookie = session_cookie(workspace.url, workspace.token)
    for prefix in ("/api", "/ajax-api"):
        response = _cookie_request_transition(workspace, cookie, name, version, headers, prefix)
        assert response.status_code == 403, response.text
        assert response.json()["error_code"] == "PERMISSION_DENIED"
    assert _open_requests(workspace, name, version) == []
    assert cookie_works(workspace.url, cookie)  # reads with the cookie still work


@pytest.mark.parametrize("same_origin", ["sec-fetch-site", "origin"])
def test_cookie_write_from_the_workspace_own_pages_is_accepted(workspace, same_origin):
    """What MLflow's UI sends: a JSON POST to /ajax-api from the workspace's own origin."""
    name = "ui-" + os.urandom(4).hex()
    cookie = session_cookie(workspace.url, workspace.token)
    headers = {"Sec-Fetch-Site": "same-origin"} if same_origin == "sec-fetch-site" else {"Origin": workspace.url}
    response = requests.post(
        workspace.url + "/ajax-api/2.0/mlflow/registered-models/create",
        json={"name": name},
        headers=headers,
        cookies={"lw_session": cookie},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    got = requests.get(
        workspace.url + "/api/2.0/mlflow/registered-models/get",
        params={"name": name},
        headers=_bearer(workspace),
        timeout=30,
    )
    assert got.status_code == 200, got.text


def test_token_write_needs_no_origin_header(workspace):
    """API clients (Databricks SDK, MLflow, Airflow) send neither Origin nor Sec-Fetch-Site."""
    name = "token-" + os.urandom(4).hex()
    response = requests.post(
        workspace.url + "/api/2.0/mlflow/registered-models/create",
        json={"name": name},
        headers=_bearer(workspace),
        timeout=30,
    )
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def two_worker_workspace(tmp_path_factory):
    ws = start_workspace(tmp_path_factory.mktemp("security-ws"), workers=2, workspace_dir=REPO_ROOT)
    try:
        yield ws
    finally:
        ws.stop()


@pytest.mark.slow  # a two-worker workspace of its own
def test_logout_revokes_the_cookie_in_every_worker(two_worker_workspace):
    ws = two_worker_workspace
    cookie = session_cookie(ws.url, ws.token)
    other = session_cookie(ws.url, ws.token)
    assert cookie_works(ws.url, cookie)
    out = requests.get(ws.url + "/logout", cookies={"lw_session": cookie}, allow_redirects=False, timeout=30)
    assert out.status_code == 303 and "Max-Age=0" in out.headers["Set-Cookie"]
    # A kept copy of the cookie (stolen, or from another tab) is dead, whichever worker answers (new connections).
    assert not any(cookie_works(ws.url, cookie) for _ in range(12))
    assert cookie_works(ws.url, other)  # only that session ended


@pytest.mark.slow  # starts two servers of its own
def test_rotating_the_token_ends_old_sessions(tmp_path):
    data_dir = tmp_path / "rotate"
    ws = start_workspace(data_dir, token="first-token-" + os.urandom(8).hex())
    try:
        cookie = session_cookie(ws.url, ws.token)
        assert cookie_works(ws.url, cookie)
    finally:
        ws.stop()
    rotated = start_workspace(data_dir, token="second-token-" + os.urandom(8).hex())
    try:
        assert not cookie_works(rotated.url, cookie)
        assert cookie_works(rotated.url, session_cookie(rotated.url, rotated.token))
    finally:
        rotated.stop()


# --- the token stays off command lines, logs and run files --------------------------------------------------


def _cmdlines_of_group(pgid: int) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) == pgid:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ProcessLookupError):
            continue
    return found


@pytest.mark.slow  # a two-worker workspace of its own
def test_token_is_not_on_any_command_line(two_worker_workspace):
    ws = two_worker_workspace
    cmdlines = _cmdlines_of_group(ws.process.pid)
    assert len(cmdlines) >= 3  # the server and its two workers
    assert not [line for line in cmdlines if ws.token in line]
    server = next(line for line in cmdlines if " serve " in line)
    token_file = Path(server.split("--token-file ", 1)[1].split(" ", 1)[0])
    assert token_file.read_text().strip() == ws.token
    assert token_file.stat().st_mode & 0o077 == 0  # readable by the owner only


def test_token_file_is_created_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv(cli.TOKEN_ENV, raising=False)
    token_file = tmp_path / "sub" / "token"
    monkeypatch.setenv(cli.TOKEN_FILE_ENV, str(token_file))
    args = cli._parser().parse_args(["serve"])
    token = cli.resolve_token(args)
    assert token and token_file.read_text().strip() == token and token_file.stat().st_mode & 0o077 == 0
    assert cli.resolve_token(args) == token


@pytest.mark.parametrize(
    "content,mode,message",
    [
        ("", 0o600, "empty file"),
        ("two words\n", 0o600, "several words"),
        ("a-good-token\n", 0o644, "chmod 600"),
        ("a-good-token\n", 0o640, "chmod 600"),
    ],
)
def test_bad_token_file_is_refused_clearly(tmp_path, content, mode, message):
    token_file = tmp_path / "token"
    token_file.write_text(content)
    token_file.chmod(mode)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCAL_WORKSPACE_")}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "local_workspace",
            "serve",
            "--port",
            "1",
            "--data-dir",
            str(tmp_path / "data"),
            "--token-file",
            str(token_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode != 0 and f"--token-file {token_file}" in out.stderr and message in out.stderr


@pytest.mark.notebook
def test_notebook_output_is_redacted_at_the_file_descriptor_level(workspace):
    """os.write(1/2, token), a split write, child processes, and output after the runner's main returned (a
    non-daemon thread, an atexit handler): the token reaches no log, file or answer."""
    headers = {"Authorization": f"Bearer {workspace.token}"}
    submitted = requests.post(
        workspace.url + "/api/2.2/jobs/runs/submit",
        headers=headers,
        timeout=30,
        json={"run_name": "leak", "tasks": [{"task_key": "leak", "notebook_task": {"notebook_path": LEAK_NOTEBOOK}}]},
    )
    assert submitted.ok, submitted.text
    run_id = submitted.json()["run_id"]

    def finished():
        run = requests.get(
            workspace.url + "/api/2.2/jobs/runs/get", params={"run_id": run_id}, headers=headers, timeout=30
        ).json()
        return run if run["state"]["life_cycle_state"] in ("TERMINATED", "INTERNAL_ERROR", "SKIPPED") else None

    run = wait_for(finished, what=f"run {run_id} to finish")
    assert run["state"]["result_state"] == "SUCCESS", run
    task_run_id = run["tasks"][0]["run_id"]
    output = requests.get(
        workspace.url + "/api/2.2/jobs/runs/get-output", params={"run_id": task_run_id}, headers=headers, timeout=30
    )
    logs = run_page_logs(run["run_page_url"], workspace.token)
    for line in (
        "fd1 [REDACTED]",
        "fd2 [REDACTED]",
        "[REDACTED] split",
        "child [REDACTED]",
        "child-err [REDACTED]",
        "print [REDACTED]",
        "thread [REDACTED]",
        "atexit [REDACTED]",
    ):
        assert line in logs, logs
    assert workspace.token not in output.text

    run_files = [p for p in (workspace.data_dir / "runs" / str(run_id)).rglob("*") if p.is_file()]
    assert any(p.name == "stdout.log" for p in run_files)
    assert not [p for p in run_files if workspace.token.encode() in p.read_bytes()]
    assert workspace.token not in workspace.log_path.read_text(errors="replace")


def test_access_log_has_paths_but_no_query_strings(workspace):
    marker = "qs-" + os.urandom(6).hex()
    path = "/api/2.0/mlflow/experiments/search"
    requests.get(
        f"{workspace.url}{path}?max_results=1&marker={marker}",
        headers={"Authorization": f"Bearer {workspace.token}"},
        timeout=30,
    )
    requests.get(f"{workspace.url}/health?probe={marker}", timeout=30)
    log = lambda: workspace.log_path.read_text(errors="replace")  # noqa: E731
    wait_for(lambda: "GET /health" in log() and f"GET {path}" in log(), what="access log lines")
    assert marker not in log()
    assert '"GET /health HTTP/1.1" 200' in log() and f'"GET {path} HTTP/1.1" 200' in log()


# --- Files API path ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/2.0/fs/files//x", "/api/2.0/fs/files/WorkspaceInternal//Mlflow/x", "/api/2.0/fs/directories//x"]
)
def test_empty_path_segment_is_a_json_400_not_a_redirect(workspace, path):
    headers = {"Authorization": f"Bearer {workspace.token}"}
    for method in ("PUT", "GET"):
        response = requests.request(
            method, workspace.url + path, data=b"x", headers=headers, allow_redirects=False, timeout=30
        )
        assert response.status_code == 400, (method, path, response.status_code, response.text[:200])
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_redacting_pipe_catches_a_secret_written_one_byte_at_a_time(tmp_path):
    from local_workspace.runner.redact import RedactingPipe, Redactor

    secret = "s3cr3t-" + os.urandom(8).hex()
    log = tmp_path / "stdout.log"
    with open(log, "wb") as target:
        pipe = RedactingPipe(target.fileno(), Redactor([secret]))
        for byte in f"before {secret} after {secret[:5]}".encode():
            os.write(target.fileno(), bytes([byte]))
        pipe.close()
    assert log.read_text() == f"before [REDACTED] after {secret[:5]}"
