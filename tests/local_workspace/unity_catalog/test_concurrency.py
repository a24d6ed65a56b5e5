"""Concurrent writers: version numbers stay unique, an alias ends on exactly one version, a name is created once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

MLFLOW_UC = "/api/2.0/mlflow/unity-catalog"
WRITERS = 8


def test_concurrent_creates_and_alias_moves(api, uc_schema):
    name = f"{uc_schema}.raced"
    with ThreadPoolExecutor(WRITERS) as pool:
        creates = list(
            pool.map(
                lambda _: api.call("POST", f"{MLFLOW_UC}/registered-models/create", json={"name": name}),
                range(WRITERS),
            )
        )
        assert sorted(r.status_code for r in creates) == [200] + [409] * (WRITERS - 1)
        versions = list(
            pool.map(
                lambda _: api.call("POST", f"{MLFLOW_UC}/model-versions/create", json={"name": name}).json(),
                range(WRITERS),
            )
        )
        assert sorted(int(v["model_version"]["version"]) for v in versions) == list(range(1, WRITERS + 1))
        moves = list(
            pool.map(
                lambda v: api.call(
                    "POST",
                    f"{MLFLOW_UC}/registered-models/alias",
                    json={"name": name, "alias": "champion", "version": v},
                ),
                [str(v) for v in range(1, WRITERS + 1)],
            )
        )
    assert all(r.ok for r in moves)
    model = api.call("GET", f"{MLFLOW_UC}/registered-models/get", params={"name": name}).json()["registered_model"]
    assert [a["alias"] for a in model["aliases"]] == ["champion"]
