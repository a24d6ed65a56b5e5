"""`make demo` (placeholder until the DAGs land): start the local workspace, run one notebook through the
Jobs API with databricks-sdk, print its exit value, stop. Exits non-zero on any failure."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / ".local" / "workspace"


def main() -> int:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service import jobs
    from local_workspace.launcher import start_workspace

    ws = start_workspace(data_dir=DATA_DIR, workspace_dir=REPO_ROOT)
    print(f"local workspace at {ws.url}")
    try:
        client = WorkspaceClient(host=ws.url, token=ws.token)
        notebook = _first_notebook()
        run = client.jobs.submit(
            run_name="demo-smoke",
            tasks=[
                jobs.SubmitTask(
                    task_key="smoke",
                    notebook_task=jobs.NotebookTask(notebook_path=notebook, base_parameters={}),
                )
            ],
        ).result()
        task_run_id = run.tasks[0].run_id
        output = client.jobs.get_run_output(task_run_id)
        print(f"notebook {notebook}: {run.state.result_state.value}")
        print(f"exit value: {output.notebook_output.result if output.notebook_output else None}")
        return 0 if run.state.result_state == jobs.RunResultState.SUCCESS else 1
    finally:
        ws.stop()


def _first_notebook() -> str:
    notebooks = sorted((REPO_ROOT / "include" / "notebooks").glob("*.py"))
    if not notebooks:
        raise SystemExit("no notebook under include/notebooks yet")
    return "/" + str(notebooks[0].relative_to(REPO_ROOT).with_suffix(""))


if __name__ == "__main__":
    sys.exit(main())
