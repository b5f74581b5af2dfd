"""The injectable clock: every decision about "today" goes through it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request


class Clock:
    """Wall-clock time; tests and simulations replace it with a FixedClock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self, timezone: str) -> date:
        """The calendar date in a board's time zone."""
        return self.now().astimezone(zone(timezone)).date()


@lru_cache(maxsize=512)
def zone(timezone: str) -> ZoneInfo:
    """A time zone, read from its file once per process. ZoneInfo's own cache holds only the 8 zones used
    last (the rest weakly, dropped as soon as nobody refers to them): a report's today over every board's
    zone, a dozen in turn, read their files again on every request."""
    return ZoneInfo(timezone)


class FixedClock(Clock):
    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


async def get_clock(request: Request) -> Clock:
    """The app's clock (`app.state.clock`); tests set that, or override this dependency."""
    return request.app.state.clock


# A route's clock. Async, so FastAPI calls it inline rather than in a worker thread.
ClockDep = Annotated[Clock, Depends(get_clock)]
