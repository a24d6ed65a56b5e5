"""Resolve a task's `notebook_path` to a file: WORKSPACE paths below the workspace dir, GIT paths in the checkout."""

from __future__ import annotations

from pathlib import Path

from local_workspace.runner.parser import resolve_notebook_file


class NotebookNotFound(Exception):
    pass


def resolve_workspace_notebook(workspace_dir: Path, notebook_path: str) -> Path:
    """`/Workspace/Shared/x/nb` and `/Shared/x/nb` both map to `<workspace_dir>/Shared/x/nb(.py)`."""
    relative = notebook_path.lstrip("/")
    if relative == "Workspace" or relative.startswith("Workspace/"):
        relative = relative[len("Workspace") :].lstrip("/")
    try:
        return _resolve_below(workspace_dir, relative, notebook_path, "the workspace directory")
    except NotebookNotFound:
        # Also accept the file's own absolute path, as long as it lies inside the workspace directory.
        own = Path(notebook_path)
        if own.is_absolute() and workspace_dir.resolve() in own.resolve().parents:
            return _resolve_below(
                workspace_dir,
                str(own.resolve().relative_to(workspace_dir.resolve())),
                notebook_path,
                "the workspace directory",
            )
        raise


def resolve_git_notebook(checkout: Path | None, notebook_path: str) -> Path:
    if checkout is None:  # a run taken over after a crash whose checkout is gone
        raise NotebookNotFound(f"Unable to access the notebook {notebook_path}: the run's git checkout is missing.")
    return _resolve_below(checkout, notebook_path, notebook_path, "the git checkout")


def _resolve_below(root: Path, relative: str, shown: str, where: str) -> Path:
    root = root.resolve()
    candidate = (root / relative).resolve()
    if candidate != root and root not in candidate.parents:
        raise NotebookNotFound(f"Notebook path {shown} points outside {where}.")
    found = resolve_notebook_file(candidate)
    if found is None or (found.resolve() != root and root not in found.resolve().parents):
        raise NotebookNotFound(
            f"Unable to access the notebook {shown}: no such notebook in {where} ({candidate}[.py])."
        )
    return found
