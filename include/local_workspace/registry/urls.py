"""Routing of the registry extension (a Flask blueprint registered on MLflow's app)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("local_workspace_registry", __name__)
