# Databricks notebook source
# Shared by the stub notebooks (`%run ./_rest`): a tiny REST client on the workspace's own credentials.
import json
import os
import urllib.error
import urllib.parse
import urllib.request


def call(method, path, body=None):
    host, token = os.environ["DATABRICKS_HOST"].rstrip("/"), os.environ["DATABRICKS_TOKEN"]
    url = f"{host}/api/2.0/mlflow/{path}"
    data = None
    if method == "GET":
        url += "?" + urllib.parse.urlencode(body or {})
    else:
        data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())
