"""How a task's notebook_path maps to a file (no server needed)."""

from __future__ import annotations

import pytest

from local_workspace.jobs.notebooks import NotebookNotFound, resolve_git_notebook, resolve_workspace_notebook


@pytest.fixture()
def root(tmp_path):
    (tmp_path / "Shared" / "churn").mkdir(parents=True)
    (tmp_path / "Shared" / "churn" / "train.py").write_text("# Databricks notebook source\n")
    (tmp_path.parent / "outside.py").write_text("print('not in the workspace')\n")
    return tmp_path


@pytest.mark.parametrize("path", ["/Workspace/Shared/churn/train", "/Shared/churn/train", "/Shared/churn/train.py"])
def test_workspace_paths_with_or_without_prefix_and_suffix(root, path):
    assert resolve_workspace_notebook(root, path) == root / "Shared" / "churn" / "train.py"


def test_the_files_own_absolute_path_inside_the_workspace_is_accepted(root):
    own = str(root / "Shared" / "churn" / "train.py")
    assert resolve_workspace_notebook(root, own) == root / "Shared" / "churn" / "train.py"


@pytest.mark.parametrize("path", ["/Workspace/../outside", "/Shared/../../outside.py"])
def test_paths_cannot_escape_the_workspace(root, path):
    with pytest.raises(NotebookNotFound, match="outside the workspace directory"):
        resolve_workspace_notebook(root, path)


def test_absolute_path_outside_the_workspace_is_not_found(root):
    with pytest.raises(NotebookNotFound, match="no such notebook"):
        resolve_workspace_notebook(root, str(root.parent / "outside.py"))


def test_git_paths_are_relative_to_the_checkout(root):
    assert resolve_git_notebook(root, "Shared/churn/train") == root / "Shared" / "churn" / "train.py"
    with pytest.raises(NotebookNotFound, match="outside the git checkout"):
        resolve_git_notebook(root, "../outside")
