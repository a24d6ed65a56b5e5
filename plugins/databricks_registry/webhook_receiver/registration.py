"""Register the registry webhook that points a workspace at Airflow's receiver: idempotent, one per model.

For each model: list its webhooks; the one whose HTTP URL is the receiver's is updated (events, secret, status:
the list hides the secret, so it is always re-sent), otherwise one is created. Running it again changes nothing but
the secret, which makes it the way to rotate the secret too (update the connection, then re-run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from databricks_registry import endpoints as ep
from databricks_registry.errors import RegistryResourceNotFound
from databricks_registry.hooks import ModelRegistryHook
from databricks_registry.webhook_receiver.settings import ReceiverSettings

# The book's trigger: a request to move a version to Staging.
DEFAULT_REGISTERED_EVENTS = ("TRANSITION_REQUEST_TO_STAGING_CREATED",)
DESCRIPTION = "Airflow: start the promotion DAG (databricks_registry webhook receiver)"
STATUSES = ("ACTIVE", "TEST_MODE", "DISABLED")


@dataclass(frozen=True)
class Registered:
    model_name: str
    webhook_id: str
    action: str  # "created" | "updated"

    def __str__(self) -> str:
        return f"{self.action} webhook {self.webhook_id} for model {self.model_name!r}"


def _listed(hook: ModelRegistryHook, model_name: str) -> list[dict[str, Any]]:
    webhooks: list[dict[str, Any]] = []
    page_token = None
    while True:
        answer = hook.call(ep.LIST_REGISTRY_WEBHOOKS, {"model_name": model_name, "page_token": page_token})
        webhooks += answer.get("webhooks") or []
        page_token = answer.get("next_page_token")
        if not page_token:
            return webhooks


def register_webhooks(
    hook: ModelRegistryHook,
    receiver_url: str,
    secret: str,
    models: Sequence[str],
    events: Sequence[str] = DEFAULT_REGISTERED_EVENTS,
    status: str = "ACTIVE",
    authorization: str | None = None,
    enable_ssl_verification: bool = True,
    create_missing_models: bool = False,
) -> list[Registered]:
    """Create or update one webhook per model pointing at `receiver_url`; return what was done.

    A model-scoped webhook needs its model: a missing one is an error, or is created (empty) first with
    `create_missing_models` (a fresh local stack, before the first training registers it)."""
    if not receiver_url.startswith(("http://", "https://")):
        raise ValueError(f"receiver URL must be http(s)://..., got {receiver_url!r}")
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    if not models or any("*" in m or "?" in m or "[" in m for m in models):
        raise ValueError(f"register needs exact model names (webhooks are per model), got {list(models)!r}")
    http_url_spec: dict[str, Any] = {
        "url": receiver_url,
        "secret": secret,
        "enable_ssl_verification": enable_ssl_verification,
    }
    if authorization:
        http_url_spec["authorization"] = authorization
    spec = {"events": list(events), "http_url_spec": http_url_spec, "status": status, "description": DESCRIPTION}
    done = []
    for model in models:
        ours = [w for w in _listed(hook, model) if (w.get("http_url_spec") or {}).get("url") == receiver_url]
        if ours:
            hook.call(ep.UPDATE_REGISTRY_WEBHOOK, {"id": ours[0]["id"], **spec})
            done.append(Registered(model, ours[0]["id"], "updated"))
        else:
            created = _create(hook, {"model_name": model, **spec}, create_missing_models)
            done.append(Registered(model, created["webhook"]["id"], "created"))
    return done


def _create(hook: ModelRegistryHook, params: dict[str, Any], create_missing_model: bool) -> dict[str, Any]:
    try:
        return hook.call(ep.CREATE_REGISTRY_WEBHOOK, params)
    except RegistryResourceNotFound:
        if not create_missing_model:
            raise RegistryResourceNotFound(
                f"model {params['model_name']!r} does not exist yet: a model webhook needs its model "
                "(train it once, or pass --create-missing-models)"
            ) from None
    hook.call(ep.CREATE_REGISTERED_MODEL, {"name": params["model_name"]})
    return hook.call(ep.CREATE_REGISTRY_WEBHOOK, params)


def register_from_settings(
    hook: ModelRegistryHook,
    settings: ReceiverSettings,
    receiver_url: str | None = None,
    events: Sequence[str] = DEFAULT_REGISTERED_EVENTS,
    status: str = "ACTIVE",
    create_missing_models: bool = False,
) -> list[Registered]:
    """`register_webhooks` with the secret, models and URL of the receiver's own connection."""
    url = receiver_url or settings.receiver_url
    if not url:
        raise ValueError(
            "no receiver URL: pass one, or set the receiver connection's host to the URL the workspace reaches "
            "(e.g. https://airflow.example.com/databricks-webhooks/registry)"
        )
    unknown = set(events) - set(settings.events)
    if unknown:
        raise ValueError(f"the receiver ignores {sorted(unknown)} (its events: {list(settings.events)})")
    return register_webhooks(
        hook, url, settings.secret, settings.models, events, status, create_missing_models=create_missing_models
    )
