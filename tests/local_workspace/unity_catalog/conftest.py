"""Unity Catalog fixtures: a unique model name in `main.<schema>` on the session workspace, and a raw HTTP client."""

from __future__ import annotations

import os

import pytest
import requests


class Api:
    """Plain HTTP against the workspace with the main token (for the calls no client library makes)."""

    def __init__(self, url: str, token: str):
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.url + path, headers=self.headers, timeout=30, **kwargs)


@pytest.fixture()
def api(workspace) -> Api:
    return Api(workspace.url, workspace.token)


@pytest.fixture()
def uc_schema(workspace) -> str:
    """A fresh schema `main.<unique>` (the workspace is shared by the whole test session)."""
    from databricks.sdk import WorkspaceClient

    name = f"t{os.getpid()}_{os.urandom(3).hex()}"
    WorkspaceClient(host=workspace.url, token=workspace.token).schemas.create(name=name, catalog_name="main")
    return f"main.{name}"
