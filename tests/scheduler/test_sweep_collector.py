"""The sweep's garbage collector (app.scheduler.sweep._BatchCollector): paused within batches, collected between
them, and handed back as it was; a process that manages its own (the service) is left alone."""

from __future__ import annotations

import gc
import weakref

import pytest

from app.scheduler.sweep import _BatchCollector


class _Node:
    me: object


@pytest.fixture
def plain_collector():
    """A process whose collector nobody manages (a test that ran the app's lifespan froze the heap: app.main)."""
    gc.unfreeze()
    assert gc.isenabled()
    yield
    gc.enable()
    gc.unfreeze()


def test_a_sweep_pauses_the_collector_and_hands_it_back(plain_collector):
    with _BatchCollector() as collector:
        assert collector.owned
        assert not gc.isenabled() and gc.get_freeze_count() > 0  # what the process had is out of its way
        node = _Node()
        node.me = node  # garbage only the collector frees
        gone = weakref.ref(node)
        del node
        assert [_Node() for _ in range(5000)] and gone() is not None  # 5,000 allocations: no collection
        collector.collect()  # between batches: the young generations
        assert gone() is None
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_failed_batch_hands_the_collector_back_too(plain_collector):
    with pytest.raises(RuntimeError), _BatchCollector():
        raise RuntimeError("a batch failed")
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_process_that_froze_its_heap_is_left_as_it_is(plain_collector):
    gc.freeze()  # as the service does after start-up
    frozen = gc.get_freeze_count()
    # Neither unfrozen (0) nor frozen again (more): the count may only fall, as frozen objects die meanwhile (a
    # collection of young garbage that held their last reference, another thread of the test process).
    with _BatchCollector() as collector:
        assert not collector.owned and gc.isenabled() and 0 < gc.get_freeze_count() <= frozen
        collector.collect()
    assert gc.isenabled() and 0 < gc.get_freeze_count() <= frozen


def test_a_process_whose_collections_are_off_is_left_as_it_is(plain_collector):
    gc.disable()
    with _BatchCollector() as collector:
        assert not collector.owned and not gc.isenabled() and gc.get_freeze_count() == 0
    assert not gc.isenabled()


def test_a_sweep_in_another_thread_leaves_the_collector_alone(plain_collector):
    """The scheduler's and a request's sweeps run in threads: the collector is the process's, not theirs."""
    import threading

    seen: list[tuple[bool, bool, int]] = []

    def sweep() -> None:
        with _BatchCollector() as collector:
            seen.append((collector.owned, gc.isenabled(), gc.get_freeze_count()))

    thread = threading.Thread(target=sweep)
    thread.start()
    thread.join()
    assert seen == [(False, True, 0)]
