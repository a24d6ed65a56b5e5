"""VersionWatch: which versions a poke lists (pure planning, no server)."""

from __future__ import annotations

import pytest

from databricks_registry.watch import VersionWatch


def poke(watch: VersionWatch, newest: int | None, now: float) -> list[str]:
    planned = watch.plan(newest, now)
    watch.advance(newest)
    return planned


def test_first_poke_looks_back_then_only_new_and_young_versions():
    watch = VersionWatch(lookback_versions=3, recheck_seconds=100, rescan_every=50)
    assert poke(watch, 1000, now=0) == ["998", "999", "1000"]
    assert poke(watch, 1000, now=10) == []
    assert poke(watch, 1002, now=20) == ["1001", "1002"]
    assert poke(watch, 1002, now=110) == ["1001", "1002"]  # still young: a request may follow its version
    assert poke(watch, 1002, now=121) == []  # older than recheck_seconds


def test_explicit_versions_are_always_listed_once():
    watch = VersionWatch(lookback_versions=2, versions=("7", 7, "1"))
    assert watch.versions == ("7", "1")
    assert poke(watch, 8, now=0) == ["1", "7", "8"]
    assert poke(watch, 8, now=1) == ["1", "7"]


def test_look_back_window_is_rescanned_every_n_pokes():
    watch = VersionWatch(lookback_versions=2, rescan_every=3, recheck_seconds=0)
    plans = [poke(watch, 5, now=i) for i in range(7)]
    assert plans == [["4", "5"], [], [], ["4", "5"], [], [], ["4", "5"]]


def test_model_registered_after_the_watch_started():
    watch = VersionWatch(lookback_versions=5, recheck_seconds=0)
    assert poke(watch, None, now=0) == []
    assert poke(watch, 2, now=1) == ["1", "2"]


def test_state_round_trips_through_a_dict():
    watch = VersionWatch(lookback_versions=4, recheck_seconds=60, versions=("3",), rescan_every=7)
    poke(watch, 10, now=0)
    poke(watch, 11, now=5)
    clone = VersionWatch.from_dict(watch.to_dict())
    assert clone == watch
    assert poke(clone, 11, now=6) == poke(watch, 11, now=6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lookback_versions": -1},
        {"rescan_every": 0},
        {"recheck_seconds": -1},
        {"versions": ("x",)},
        {"versions": ("0",)},
    ],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        VersionWatch(**kwargs)
