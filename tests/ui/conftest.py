"""One `make airflow` stack (workspace + API server/UI, scheduler, DAG processor, triggerer) for the UI tests, and
a logged-in Chromium page on it. Slow: the real notebooks run (AutoML on the local profile)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import ARTIFACTS, CHROMIUM, start_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    started = start_stack(tmp_path_factory.mktemp("local-airflow"))
    try:
        yield started
    finally:
        started.interrupt()


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(browser, stack, request):
    """A signed-in page; a screenshot of where it ended lands in .local/test-artifacts/."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(120_000)
    page = context.new_page()
    page.goto(stack.url + "/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(stack.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"), full_page=True)
        finally:
            context.close()
