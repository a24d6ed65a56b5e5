"""The Unity Catalog pages at Catalog Explorer's URLs: a version's aliases, tags and description, escaped."""

from __future__ import annotations

import requests

MLFLOW_UC = "/api/2.0/mlflow/unity-catalog"


def test_model_and_version_pages_show_the_trail(api, uc_schema, workspace):
    name = f"{uc_schema}.paged"
    api.call("POST", f"{MLFLOW_UC}/registered-models/create", json={"name": name}).raise_for_status()
    api.call("POST", f"{MLFLOW_UC}/model-versions/create", json={"name": name}).raise_for_status()
    api.call("POST", f"{MLFLOW_UC}/registered-models/alias", json={"name": name, "alias": "champion", "version": "1"})
    tag = {"name": name, "version": "1", "key": "validation_status", "value": "PASSED"}
    api.call("POST", f"{MLFLOW_UC}/model-versions/set-tag", json=tag).raise_for_status()
    report = {"name": name, "version": "1", "description": "<script>alert(1)</script> all checks passed"}
    api.call("PATCH", f"{MLFLOW_UC}/model-versions/update", json=report).raise_for_status()

    model_url = "/explore/data/models/" + name.replace(".", "/")
    model_page = api.call("GET", model_url)
    assert model_page.status_code == 200 and "@champion" in model_page.text
    assert "validation_status=PASSED" in model_page.text
    version_page = api.call("GET", model_url + "/version/1")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; all checks passed" in version_page.text
    assert "<script>" not in version_page.text
    assert name in api.call("GET", "/explore/data/models").text
    assert api.call("GET", model_url + "/version/9").status_code == 404
    assert api.call("GET", "/explore/data/models/main/no_schema/m").status_code == 404
    browser = requests.get(
        workspace.url + model_url, headers={"Accept": "text/html"}, allow_redirects=False, timeout=30
    )
    assert browser.status_code == 302 and browser.headers["location"].startswith("/login?next=")
