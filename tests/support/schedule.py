"""How `make test` shares the suite between xdist workers (`--dist loadscope`, two workers on two cores).

xdist's loadscope hands out a module's tests as one unit (its module-scoped fixtures are built once), the
modules with the most tests first. Tests are far from equal, though: the browser modules have a few tests
that take seconds each, and starting them last left one worker running them long after the other had
finished. This scheduler changes two things and nothing else:

- the modules under tests/web/ are one unit: one worker starts the live demo server and Chromium, once;
- units go out longest first, by the seconds each took when it last ran (kept in pytest's cache,
  `.pytest_cache`); a unit the cache does not know (a fresh clone, a new module) counts 50 ms a test,
  except the live demo's, which goes first.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

CACHE_KEY = "peer-ce/unit-seconds"
LIVE_DEMO = "tests/web/"


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: tests/web/ as a whole, otherwise its module (or class)."""
    if nodeid.startswith(LIVE_DEMO):
        return LIVE_DEMO
    return nodeid.rsplit("::", 1)[0]


class LongestFirst(LoadScopeScheduling):
    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self.seconds: dict[str, float] = config.cache.get(CACHE_KEY, {}) if config.cache else {}
        self.ordered = False

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)

    def _estimate(self, unit: str, tests: dict[str, bool]) -> float:
        """Seconds: as last time, or (a unit not run before) the live demo's first, others at a typical 50 ms a test."""
        if unit in self.seconds:
            return self.seconds[unit]
        return float("inf") if unit == LIVE_DEMO else 0.05 * len(tests)

    def _assign_work_unit(self, node: Any) -> None:
        if not self.ordered:  # the first assignment: the queue holds every unit, in xdist's order
            self.ordered = True
            self.workqueue = OrderedDict(sorted(self.workqueue.items(), key=lambda unit: -self._estimate(*unit)))
        super()._assign_work_unit(node)


class UnitTimes:
    """Adds up, on the controller, the seconds each unit's tests took, and keeps them for the next run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.seconds: dict[str, float] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        unit = unit_of(report.nodeid)
        self.seconds[unit] = self.seconds.get(unit, 0.0) + report.duration

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.config.cache is None or not self.seconds:
            return
        kept = dict(self.config.cache.get(CACHE_KEY, {}))
        kept.update({unit: round(seconds, 2) for unit, seconds in self.seconds.items()})
        self.config.cache.set(CACHE_KEY, kept)
