"""`local-workspace serve --public-url`: the links a browser follows use the public URL, the API and the notebooks
keep the address the server is reached at (a container's published port differs from its in-network name)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs

from local_workspace.launcher import start_workspace

REPO_ROOT = Path(__file__).resolve().parents[2]
# Nothing listens there: the notebook run below only succeeds if it calls the server's own address.
PUBLIC_URL = "http://localhost:1"


@pytest.fixture(scope="module")
def published_workspace(tmp_path_factory):
    ws = start_workspace(
        tmp_path_factory.mktemp("public-url"),
        workspace_dir=REPO_ROOT,
        extra_env={"LOCAL_WORKSPACE_PUBLIC_URL": PUBLIC_URL + "/"},
    )
    try:
        yield ws
    finally:
        ws.stop()


@pytest.mark.notebook
def test_run_pages_use_the_public_url_while_notebooks_call_the_server(published_workspace):
    client = WorkspaceClient(host=published_workspace.url, token=published_workspace.token)
    task = jobs.SubmitTask(
        task_key="env", notebook_task=jobs.NotebookTask(notebook_path="/Workspace/tests/local_workspace/notebooks/env")
    )
    run = client.jobs.submit(run_name="public url", tasks=[task]).result(timedelta(minutes=5))

    assert run.state.result_state == jobs.RunResultState.SUCCESS
    assert run.run_page_url == f"{PUBLIC_URL}/jobs/runs/{run.run_id}"
    assert {t.run_page_url for t in run.tasks} == {f"{PUBLIC_URL}/jobs/runs/{run.tasks[0].run_id}"}
    listed = client.jobs.list_runs(expand_tasks=True)
    assert {r.run_page_url.split("/jobs/runs/")[0] for r in listed} == {PUBLIC_URL}
    output = client.jobs.get_run_output(run.tasks[0].run_id)
    assert output.metadata.run_page_url.startswith(PUBLIC_URL + "/jobs/runs/")
    # The notebook itself talked to the server it runs in, not to the public URL.
    result = json.loads(output.notebook_output.result)
    assert result["host"] == published_workspace.url and result["api_status"] == 200


@pytest.mark.parametrize(
    "bad",
    [
        "localhost:8799",
        "ftp://localhost:8799",
        "http://",
        "http://localhost:99999",
        "http://localhost:8799/?a=1",
        "http://localhost:8799/#x",
    ],
)
def test_a_malformed_public_url_is_refused_before_anything_is_created(tmp_path, bad):
    data_dir = tmp_path / "never-created"
    env = {**os.environ, "LOCAL_WORKSPACE_TOKEN": "t"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "local_workspace",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            "1",
            "--public-url",
            bad,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "--public-url" in done.stderr and repr(bad) in done.stderr
    assert not data_dir.exists()
