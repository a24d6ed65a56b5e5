"""`git_source` runs: a local repository checked out at a branch, tag or commit for each run."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import OperationFailed
from databricks.sdk.service import jobs

pytestmark = pytest.mark.notebook  # runs notebooks from git checkouts

WAIT = timedelta(minutes=3)
NOTEBOOK = """# Databricks notebook source
from helpers.version import VERSION

dbutils.notebook.exit(VERSION)
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def commit_version(repo: Path, version: str) -> str:
    (repo / "helpers" / "version.py").write_text(f"VERSION = {version!r}\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", version)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> dict[str, str]:
    """main: v1 (tagged v1.0) -> v2; branch feature: v3."""
    path = tmp_path_factory.mktemp("repo")
    git(path, "init", "-q", "-b", "main")
    (path / "notebooks").mkdir()
    (path / "notebooks" / "version.py").write_text(NOTEBOOK)
    (path / "helpers").mkdir()
    (path / "helpers" / "__init__.py").write_text("")
    v1 = commit_version(path, "v1")
    git(path, "tag", "v1.0")
    v2 = commit_version(path, "v2")
    git(path, "checkout", "-q", "-b", "feature")
    v3 = commit_version(path, "v3")
    git(path, "checkout", "-q", "main")
    return {"path": str(path), "v1": v1, "v2": v2, "v3": v3}


@pytest.fixture()
def client(workspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.url, token=workspace.token)


def run_at(client: WorkspaceClient, git_url: str, **ref) -> jobs.Run:
    return client.jobs.submit(
        run_name="git run",
        git_source=jobs.GitSource(git_url=git_url, git_provider=jobs.GitProvider.GIT_HUB, **ref),
        tasks=[
            jobs.SubmitTask(
                task_key="version",
                notebook_task=jobs.NotebookTask(notebook_path="notebooks/version", source=jobs.Source.GIT),
            )
        ],
    ).result(WAIT)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ({"git_branch": "main"}, "v2"),
        ({"git_branch": "feature"}, "v3"),
        ({"git_tag": "v1.0"}, "v1"),
    ],
)
def test_checkout_at_branch_or_tag(client, repo, ref, expected):
    run = run_at(client, repo["path"], **ref)
    assert run.state.result_state == jobs.RunResultState.SUCCESS
    assert client.jobs.get_run_output(run.tasks[0].run_id).notebook_output.result == expected
    assert run.git_source.git_snapshot.used_commit == repo[expected]


def test_checkout_at_commit_from_a_file_url(client, repo):
    run = run_at(client, Path(repo["path"]).as_uri(), git_commit=repo["v1"])
    assert client.jobs.get_run_output(run.tasks[0].run_id).notebook_output.result == "v1"


def test_source_defaults_to_git_when_git_source_is_set(client, repo):
    run = client.jobs.submit(
        run_name="implicit git",
        git_source=jobs.GitSource(git_url=repo["path"], git_provider=jobs.GitProvider.GIT_HUB, git_branch="feature"),
        tasks=[jobs.SubmitTask(task_key="v", notebook_task=jobs.NotebookTask(notebook_path="notebooks/version.py"))],
    ).result(WAIT)
    assert client.jobs.get_run_output(run.tasks[0].run_id).notebook_output.result == "v3"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ({"git_branch": "no-such-branch"}, "branch 'no-such-branch' not found"),
        ({"git_tag": "v9"}, "tag 'v9' not found"),
        ({"git_commit": "0" * 40}, "not found"),
    ],
)
def test_bad_ref_fails_the_run_clearly(client, repo, ref, message):
    with pytest.raises(OperationFailed, match=message):
        run_at(client, repo["path"], **ref)


def test_missing_repository_fails_the_run_clearly(client, tmp_path):
    with pytest.raises(OperationFailed, match="does not exist on this machine"):
        run_at(client, str(tmp_path / "nope"), git_branch="main")


def test_checkout_failure_is_reported_in_run_status(client, repo):
    waiter = client.jobs.submit(
        run_name="bad branch",
        git_source=jobs.GitSource(git_url=repo["path"], git_provider=jobs.GitProvider.GIT_HUB, git_branch="gone"),
        tasks=[jobs.SubmitTask(task_key="v", notebook_task=jobs.NotebookTask(notebook_path="notebooks/version"))],
    )
    with pytest.raises(OperationFailed):
        waiter.result(WAIT)
    run = client.jobs.get_run(waiter.run_id)
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.INTERNAL_ERROR
    assert run.state.result_state == jobs.RunResultState.FAILED
    assert run.status.termination_details.code == jobs.TerminationCodeCode.REPOSITORY_CHECKOUT_FAILED
    output = client.jobs.get_run_output(run.tasks[0].run_id)
    assert "branch 'gone' not found" in output.error
