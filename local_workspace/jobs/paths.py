"""Where a run's files live: `<data_dir>/runs/<run_id>/` holds the git checkout (`repo/`) and one directory per
task run (`task-<task_run_id>/` with `stdout.log`, `stderr.log`, `params.json`, `result.json`)."""

from __future__ import annotations

from pathlib import Path

from local_workspace.config import WorkspaceConfig

MAX_LOG_BYTES = 1024 * 1024


def run_dir(config: WorkspaceConfig, run_id: int) -> Path:
    return config.runs_dir / str(run_id)


def task_dir(config: WorkspaceConfig, parent_run_id: int, task_run_id: int) -> Path:
    return run_dir(config, parent_run_id) / f"task-{task_run_id}"


def read_logs(directory: Path, limit: int = MAX_LOG_BYTES) -> tuple[str, bool] | None:
    """The tail of stdout then stderr (already redacted by the runner); None if the task never started."""
    parts, found = [], False
    for name in ("stdout.log", "stderr.log"):
        path = directory / name
        if path.is_file():
            found = True
            parts.append(path.read_bytes())
    if not found:
        return None
    data = b"".join(parts)
    truncated = len(data) > limit
    return data[-limit:].decode(errors="replace"), truncated
