"""The webhook receiver app: a signed, fresh, relevant delivery emits exactly one asset event carrying the webhook
event; every bad delivery is answered with its reason and emits nothing."""

from __future__ import annotations

import json
import time

import pytest
from receiver_support import payload, signed

URL = "/registry"


def test_a_signed_transition_request_emits_one_asset_event_with_the_webhook_event(receiver, asset_events):
    body = payload("Churn Receiver Test", "7")
    raw, headers = signed(body)

    answer = receiver.post(URL, content=raw, headers=headers)

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "emitted"
    [extra] = asset_events()
    assert {k: extra[k] for k in ("model_name", "version", "to_stage", "event", "webhook_id")} == {
        "model_name": "Churn Receiver Test",
        "version": "7",
        "to_stage": "Staging",
        "event": "TRANSITION_REQUEST_TO_STAGING_CREATED",
        "webhook_id": body["webhook_id"],
    }
    assert extra["source"] == "databricks-registry-webhook"


def test_models_match_by_pattern_and_numeric_versions_are_read_as_strings(receiver, asset_events):
    raw, headers = signed(payload("Churn Pattern EU", 3))
    assert receiver.post(URL, content=raw, headers=headers).status_code == 200
    assert [e["version"] for e in asset_events()] == ["3"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Databricks-Signature": "0" * 64},
        {"X-Databricks-Signature": "not hex at all"},
    ],
    ids=["missing", "wrong", "garbage"],
)
def test_a_missing_or_wrong_signature_is_401_and_emits_nothing(receiver, asset_events, headers):
    raw = json.dumps(payload("Churn Receiver Test")).encode()
    answer = receiver.post(URL, content=raw, headers={"Content-Type": "application/json", **headers})
    assert answer.status_code == 401
    assert "X-Databricks-Signature" in answer.json()["detail"]
    assert asset_events() == []


def test_a_body_signed_with_another_secret_is_401(receiver, asset_events):
    raw, headers = signed(payload("Churn Receiver Test"), secret="someone else's secret")
    assert receiver.post(URL, content=raw, headers=headers).status_code == 401
    assert asset_events() == []


def test_a_body_changed_after_signing_is_401(receiver, asset_events):
    raw, headers = signed(payload("Churn Receiver Test", "1"))
    tampered = raw.replace(b'"version": "1"', b'"version": "2"')
    assert receiver.post(URL, content=tampered, headers=headers).status_code == 401
    assert asset_events() == []


@pytest.mark.parametrize("age_seconds", [301, -301, 86400])
def test_a_stale_or_future_dated_delivery_is_401(receiver, asset_events, age_seconds):
    stamp = int((time.time() - age_seconds) * 1000)
    raw, headers = signed(payload("Churn Receiver Test", event_timestamp=stamp))
    answer = receiver.post(URL, content=raw, headers=headers)
    assert answer.status_code == 401
    assert "stale" in answer.json()["detail"]
    assert asset_events() == []


def test_a_replayed_delivery_emits_nothing_the_second_time(receiver, asset_events):
    raw, headers = signed(payload("Churn Receiver Test"))
    first = receiver.post(URL, content=raw, headers=headers)
    again = receiver.post(URL, content=raw, headers=headers)
    assert (first.json()["status"], again.status_code, again.json()["status"]) == ("emitted", 200, "duplicate")
    assert len(asset_events()) == 1


def test_the_same_request_from_another_webhook_or_time_is_a_new_delivery(receiver, asset_events):
    body = payload("Churn Receiver Test")
    for changed in (body, {**body, "webhook_id": "other"}, {**body, "event_timestamp": body["event_timestamp"] + 1}):
        raw, headers = signed(changed)
        assert receiver.post(URL, content=raw, headers=headers).json()["status"] == "emitted"
    assert len(asset_events()) == 3


# Bodies are built when the test runs, not at collection: a fresh timestamp must still be fresh when it is sent.
@pytest.mark.parametrize(
    ("make_raw", "problem"),
    [
        (lambda: b"not json", "not JSON"),
        (lambda: b"[1, 2]", "JSON object"),
        (lambda: b'{"webhook_id": "w", "event_timestamp": 1}', "event"),
        (
            lambda: json.dumps({**payload("Churn Receiver Test"), "event_timestamp": "yesterday"}).encode(),
            "event_timestamp",
        ),
        (
            lambda: json.dumps({k: v for k, v in payload("Churn Receiver Test").items() if k != "version"}).encode(),
            "version",
        ),
    ],
    ids=["not-json", "array", "no-event", "bad-timestamp", "no-version"],
)
def test_a_malformed_body_is_400_naming_the_problem(receiver, asset_events, make_raw, problem):
    body, headers = signed(make_raw())
    answer = receiver.post(URL, content=body, headers=headers)
    assert answer.status_code == 400
    assert problem in answer.json()["detail"]
    assert asset_events() == []


@pytest.mark.parametrize(
    "fields",
    [{"model_name": "Some Other Model"}, {"event": "COMMENT_CREATED"}, {"event": "MODEL_VERSION_CREATED"}],
    ids=["unknown-model", "comment", "version-created"],
)
def test_unknown_models_and_other_events_are_accepted_but_ignored(receiver, asset_events, fields):
    raw, headers = signed({**payload("Churn Receiver Test"), **fields})
    answer = receiver.post(URL, content=raw, headers=headers)
    assert answer.status_code == 202
    assert answer.json()["status"] == "ignored"
    assert asset_events() == []


def test_without_its_connection_the_receiver_answers_503(receiver, asset_events, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_DATABRICKS_REGISTRY_WEBHOOK")
    raw, headers = signed(payload("Churn Receiver Test"))
    answer = receiver.post(URL, content=raw, headers=headers)
    assert (answer.status_code, answer.json()["status"]) == (503, "not_configured")
    assert "databricks_registry_webhook" not in answer.text  # config details stay in the server log


def test_an_asset_airflow_does_not_know_is_503_so_databricks_retries(receiver, monkeypatch):
    from receiver_support import receiver_connection

    monkeypatch.setenv(
        "AIRFLOW_CONN_DATABRICKS_REGISTRY_WEBHOOK", receiver_connection(["Churn Receiver Test"], "nowhere://x")
    )
    raw, headers = signed(payload("Churn Receiver Test"))
    answer = receiver.post(URL, content=raw, headers=headers)
    assert (answer.status_code, answer.json()["status"]) == (503, "asset_not_found")
    assert "nowhere" not in answer.text
