"""A notebook's printed output as a person reads it: on the run's page (`run_page_url`), since `runs/get-output`
carries no `logs` for notebook tasks (as on Databricks)."""

from __future__ import annotations

import html
import re

import requests

LOGS_BLOCK = re.compile(r'<pre class="logs">(.*?)</pre>', re.DOTALL)


def run_page_logs(run_page_url: str, token: str) -> str:
    """The stdout and stderr of every task shown on the run page, as text."""
    response = requests.get(
        run_page_url, headers={"Authorization": f"Bearer {token}", "Accept": "text/html"}, timeout=30
    )
    response.raise_for_status()
    return "\n".join(html.unescape(block) for block in LOGS_BLOCK.findall(response.text))
