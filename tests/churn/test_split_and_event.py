"""The deterministic split and the webhook payload parser."""

from __future__ import annotations

import json

import pytest

from churn.schema import FEATURE_COLUMNS, TARGET_COL
from churn.split import split_table
from churn_contract.event import EventMessageError, ModelEvent


def test_split_is_disjoint_sized_and_stable_under_reordering(churn_table):
    split = split_table(churn_table)
    sizes = split.sizes
    assert sum(sizes.values()) == len(churn_table)
    assert sizes["train"] / len(churn_table) == pytest.approx(0.70, abs=0.03)
    assert sizes["holdout"] / len(churn_table) == pytest.approx(0.15, abs=0.03)
    assert list(split.holdout.columns) == [*FEATURE_COLUMNS, TARGET_COL]  # ids dropped

    shuffled = split_table(churn_table.sample(frac=1.0, random_state=1))
    key = list(FEATURE_COLUMNS)
    assert set(map(tuple, shuffled.holdout[key].to_numpy().tolist())) == set(
        map(tuple, split.holdout[key].to_numpy().tolist())
    )


def test_holdout_rows_never_appear_in_training(churn_table):
    from churn.split import split_bucket

    buckets = split_bucket(churn_table["CustomerId"])
    assert buckets.min() >= 0 and buckets.max() <= 99
    assert (split_bucket(churn_table["CustomerId"]) == buckets).all()  # a pure function of the id
    split = split_table(churn_table)
    train_keys = set(map(tuple, split.train.to_numpy().tolist()))
    assert not any(tuple(row) in train_keys for row in split.holdout.to_numpy().tolist())


def test_split_rejects_a_table_without_the_label(churn_table):
    with pytest.raises(ValueError, match="Exited"):
        split_table(churn_table.drop(columns=["Exited"]))


WEBHOOK = {
    "event": "TRANSITION_REQUEST_TO_STAGING_CREATED",
    "webhook_id": "c5596721253c4b429368cf6f4341b88a",
    "event_timestamp": 1589859029343,
    "model_name": "Churn Prediction Bank",
    "version": "8",
    "to_stage": "Staging",
    "from_stage": "None",
    "text": "Registry webhook",
    "requester": "someone@example.com",  # extra fields (the Airflow sensor's) are accepted
}


def test_parses_a_real_webhook_payload():
    event = ModelEvent.parse(json.dumps(WEBHOOK))
    assert (event.model_name, event.version, event.to_stage, event.from_stage) == (
        "Churn Prediction Bank",
        "8",
        "Staging",
        "None",
    )
    assert event.webhook_id == WEBHOOK["webhook_id"] and event.event_timestamp == 1589859029343
    assert ModelEvent.parse({**WEBHOOK, "version": 8}).version == "8"


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("", "empty"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({k: v for k, v in WEBHOOK.items() if k != "model_name"}), "model_name"),
        (json.dumps({**WEBHOOK, "version": "latest"}), "version"),
        (json.dumps({**WEBHOOK, "version": "0"}), "version"),
        (json.dumps({k: v for k, v in WEBHOOK.items() if k != "to_stage"}), "to_stage"),
        (json.dumps({**WEBHOOK, "to_stage": "staging"}), "to_stage"),
        (json.dumps({**WEBHOOK, "event_timestamp": "yesterday"}), "event_timestamp"),
    ],
)
def test_malformed_payloads_get_a_precise_reason(raw, reason):
    with pytest.raises(EventMessageError, match=reason):
        ModelEvent.parse(raw)
