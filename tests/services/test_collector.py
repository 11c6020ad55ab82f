"""The collector pause is shared by overlapping bulk tasks and always undone."""

from __future__ import annotations

import gc

import pytest

from smscast.services.collector import bulk_allocations


def test_overlapping_pauses_restore_the_collector_once():
    before = gc.get_threshold()
    with bulk_allocations():
        paused = gc.get_threshold()
        assert paused[0] >= 50_000
        assert gc.get_freeze_count() > 0
        with bulk_allocations():
            assert gc.get_threshold() == paused
        assert gc.get_threshold() == paused  # the outer task still runs
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_failing_task_still_restores():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk_allocations():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
