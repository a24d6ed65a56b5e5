"""Handlers of the Unity Catalog REST API 2.1 (databricks-sdk's `registered_models`, `model_versions`,
`catalogs`, `schemas`): `/api/2.1/unity-catalog/...`."""

from __future__ import annotations

from flask import jsonify, request

from local_workspace.context import require_user
from local_workspace.errors import invalid_parameter
from local_workspace.limits import parse_int64
from local_workspace.unity_catalog import catalogs, model_versions, registered_models, shapes, storage
from local_workspace.unity_catalog.http import data_dir, db, description, flag, page_size, params, text
from local_workspace.unity_catalog.names import alias_name, identifier, model_name, schema_name, version_number


def _include_aliases() -> bool:
    return flag(dict(request.args), "include_aliases")


def _with_token(answer: dict, token: str | int | None) -> dict:
    return {**answer, "next_page_token": str(token)} if token is not None else answer


def create_registered_model():
    values = params()
    parts = [text(values, field, required=True) for field in ("catalog_name", "schema_name", "name")]
    name = model_name(".".join(p or "" for p in parts), "catalog_name.schema_name.name")
    model = registered_models.create(db(), require_user(), name, description(values, "comment"), {})
    return jsonify(shapes.sdk_registered_model(model, include_aliases=False))


def list_registered_models():
    values = params()
    catalog = text(values, "catalog_name")
    schema = text(values, "schema_name")
    if schema and not catalog:
        raise invalid_parameter("schema_name requires catalog_name.")
    if catalog:
        if schema:
            catalogs.get_schema(db(), identifier(catalog, "catalog_name"), identifier(schema, "schema_name"))
        else:
            catalogs.get_catalog(db(), catalog)
    page, token = registered_models.list_page(
        db(),
        catalog.lower() if catalog else None,
        schema.lower() if schema else None,
        page_size(values),
        text(values, "page_token"),
    )
    models = [shapes.sdk_registered_model(m, include_aliases=False) for m in page]
    return jsonify(_with_token({"registered_models": models}, token))


def registered_model(full_name: str):
    name = model_name(full_name, "full_name")
    user = require_user()
    if request.method == "DELETE":
        registered_models.delete_model(db(), user, name)
        storage.remove_version_files(data_dir(), name)
        return jsonify({})
    if request.method == "PATCH":
        values = params()
        owner = text(values, "owner")
        registered_models.update(db(), user, name, description(values, "comment"), owner, text(values, "new_name"))
    model = registered_models.get(db(), name)
    return jsonify(shapes.sdk_registered_model(model, include_aliases=request.method == "GET" and _include_aliases()))


def model_alias(full_name: str, alias: str):
    name, alias = model_name(full_name, "full_name"), alias_name(alias)
    if request.method == "PUT":
        version = version_number(params().get("version_num"), "version_num")
        registered_models.set_alias(db(), require_user(), name, alias, version)
        return jsonify(shapes.sdk_alias(name.full_name, alias, version))
    if request.method == "DELETE":
        registered_models.delete_alias(db(), require_user(), name, alias)
        return jsonify({})
    found = model_versions.get(db(), name, registered_models.version_by_alias(db(), name, alias))
    return jsonify(shapes.sdk_model_version(found, include_aliases=_include_aliases()))


def list_model_versions(full_name: str):
    values = params()
    name = model_name(full_name, "full_name")
    offset = parse_int64(values.get("page_token") or 0, "page_token")
    page, next_offset = model_versions.list_page(db(), [name], None, page_size(values), offset)
    versions = [shapes.sdk_model_version(v, include_aliases=False) for v in page]
    return jsonify(_with_token({"model_versions": versions}, next_offset))


def model_version(full_name: str, version: str):
    name, number = model_name(full_name, "full_name"), version_number(version)
    user = require_user()
    if request.method == "DELETE":
        model_versions.delete_version(db(), user, name, number)
        storage.remove_version_files(data_dir(), name, number)
        return jsonify({})
    if request.method == "PATCH":
        found = model_versions.update_comment(db(), user, name, number, description(params(), "comment"))
        return jsonify(shapes.sdk_model_version(found, include_aliases=False))
    found = model_versions.get(db(), name, number)
    return jsonify(shapes.sdk_model_version(found, include_aliases=_include_aliases()))


def catalogs_collection():
    if request.method == "POST":
        values = params()
        row = catalogs.create_catalog(db(), require_user(), values.get("name"), description(values, "comment"))
        return jsonify(shapes.sdk_catalog(row))
    return jsonify({"catalogs": [shapes.sdk_catalog(row) for row in catalogs.list_catalogs(db())]})


def catalog(name: str):
    return jsonify(shapes.sdk_catalog(catalogs.get_catalog(db(), name)))


def schemas_collection():
    values = params()
    if request.method == "POST":
        catalog_name, name = values.get("catalog_name"), values.get("name")
        row = catalogs.create_schema(db(), require_user(), catalog_name, name, description(values, "comment"))
        return jsonify(shapes.sdk_schema(row))
    rows = catalogs.list_schemas(db(), values.get("catalog_name"))
    return jsonify({"schemas": [shapes.sdk_schema(row) for row in rows]})


def schema(full_name: str):
    return jsonify(shapes.sdk_schema(catalogs.get_schema(db(), *schema_name(full_name))))
