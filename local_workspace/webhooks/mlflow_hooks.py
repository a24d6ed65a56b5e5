"""Events of MLflow's own registry endpoints: versions created, models created, version tags set.

MLflow's REST handlers call its registry store (one instance per process); `install` wraps three of its methods
so that, after MLflow committed, the event is queued for the webhooks (`events.enqueue_committed`, which never
raises: the MLflow call answers as it would without webhooks). The two databases cannot commit together, so a
process killed between MLflow's commit and the queueing loses that one event (logged nowhere): the only window in
which an event can be lost.
"""

from __future__ import annotations

import functools
from pathlib import Path

from local_workspace.webhooks import events


def _store():
    from mlflow.server.handlers import _get_model_registry_store

    return _get_model_registry_store()


def _argument(args: tuple, kwargs: dict, position: int, name: str):
    return kwargs[name] if name in kwargs else (args[position] if len(args) > position else None)


def _after(method, on_success):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        result = method(*args, **kwargs)
        on_success(result, args, kwargs)
        return result

    return wrapper


def install(db: Path) -> None:
    """Idempotent; runs in every worker process."""
    store = _store()
    if getattr(store, "_local_workspace_webhooks", False):
        return

    def version_created(model_version, _args, _kwargs):
        events.enqueue_committed(
            db, [events.MODEL_VERSION_CREATED], model_version.name, version=str(model_version.version)
        )

    def model_created(registered_model, _args, _kwargs):
        events.enqueue_committed(db, [events.REGISTERED_MODEL_CREATED], registered_model.name)

    def tag_set(_result, args, kwargs):
        name, version = _argument(args, kwargs, 0, "name"), _argument(args, kwargs, 1, "version")
        tag = _argument(args, kwargs, 2, "tag")
        tags = [{"key": tag.key, "value": tag.value}] if tag is not None else []
        events.enqueue_committed(db, [events.MODEL_VERSION_TAG_SET], name, version=str(version), tags=tags)

    store.create_model_version = _after(store.create_model_version, version_created)
    store.create_registered_model = _after(store.create_registered_model, model_created)
    store.set_model_version_tag = _after(store.set_model_version_tag, tag_set)
    store._local_workspace_webhooks = True
