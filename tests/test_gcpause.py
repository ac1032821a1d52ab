"""The cycle collector is off inside `collector_paused` and exactly as before after it; what a command makes
inside `lives_until_exit` is left out of every later collection."""

from __future__ import annotations

import gc

import pytest

from avtal.gcpause import collector_paused, lives_until_exit


@pytest.fixture(autouse=True)
def restore_collector():
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


def test_the_collector_is_off_inside_and_on_again_after():
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_error_inside_still_turns_it_on_again():
    gc.enable()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("bad input")
    assert gc.isenabled()


def test_a_nested_block_leaves_it_off_until_the_outer_block_ends():
    gc.enable()
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_what_is_made_while_loading_is_not_scanned_again():
    gc.enable()
    before = gc.get_freeze_count()
    with lives_until_exit():
        assert not gc.isenabled()
        loaded = [[n] for n in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(loaded)
    assert not any(obj is loaded[0] for obj in gc.get_objects())  # in no generation a collection scans


def test_a_load_that_fails_freezes_nothing_and_turns_the_collector_on_again():
    gc.enable()
    before = gc.get_freeze_count()
    with pytest.raises(ValueError), lives_until_exit():
        raise ValueError("bad sources")
    assert gc.isenabled() and gc.get_freeze_count() == before


def test_no_collection_starts_over_what_was_loaded_when_the_block_ends():
    gc.enable()
    started = []

    def record(phase, info):
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(record)
    try:
        with lives_until_exit():
            loaded = [[n] for n in range(20_000)]  # far over the youngest generation's threshold
        again = [[n] for n in range(10)]
    finally:
        gc.callbacks.remove(record)
    assert started == [] and loaded and again
