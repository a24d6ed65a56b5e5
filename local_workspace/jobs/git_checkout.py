"""Check out a run's `git_source` (a local repository path or file:// URL) at its branch, tag or commit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

from local_workspace.jobs.submit_spec import GitSource


class GitCheckoutError(Exception):
    pass


def _local_path(git_url: str) -> str:
    if git_url.startswith("file://"):
        return unquote(urlparse(git_url).path)
    return os.path.expanduser(git_url)


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    completed = subprocess.run(
        ["git", "-c", "safe.directory=*", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if completed.returncode != 0:
        raise GitCheckoutError(completed.stderr.strip() or completed.stdout.strip() or f"git {args[0]} failed")
    return completed.stdout.strip()


def checkout(source: GitSource, destination: Path) -> str:
    """Clone into `destination` and check out the ref; returns the commit used. Raises GitCheckoutError."""
    repo = _local_path(source.git_url)
    if not Path(repo).exists():
        raise GitCheckoutError(f"Failed to checkout Git repository: {source.git_url} does not exist on this machine.")
    try:
        _git("clone", "--quiet", "--no-checkout", repo, str(destination))
        ref = {"git_branch": f"origin/{source.ref}", "git_tag": f"refs/tags/{source.ref}", "git_commit": source.ref}
        target = ref[source.ref_kind]
        try:
            commit = _git("rev-parse", "--verify", "--quiet", f"{target}^{{commit}}", cwd=destination)
        except GitCheckoutError:
            commit = ""
        if not commit:
            kind = source.ref_kind.removeprefix("git_")
            raise GitCheckoutError(
                f"Failed to checkout Git repository: {kind} {source.ref!r} not found in {source.git_url}."
            )
        _git("checkout", "--quiet", "--detach", commit, cwd=destination)
        return commit
    except subprocess.TimeoutExpired as exc:
        raise GitCheckoutError(f"Failed to checkout Git repository {source.git_url}: git timed out") from exc
    except GitCheckoutError as exc:
        message = str(exc)
        if not message.startswith("Failed to checkout"):
            message = f"Failed to checkout Git repository {source.git_url}: {message}"
        raise GitCheckoutError(message) from exc
