"""Month arithmetic: adding months (clamped to the month's last day), month ends, fixed days."""

from __future__ import annotations

from datetime import date, timedelta

# --- dates and hours ----------------------------------------------------------------------

_ONE = timedelta(days=1)
_MDAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_days(y: int, m: int) -> int:
    if m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0):
        return 29
    return _MDAYS[m - 1]


def add_months(d: date, n: int, day: int | None = None) -> date:
    """`d` plus `n` months on day `day` (default d.day), clamped to the month's last day."""
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    want = d.day if day is None else day
    last = _month_days(y, m + 1)
    return date(y, m + 1, want if want <= last else last)


def _month_end(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, _month_days(y, m + 1))


def _on(y: int, md: tuple[int, int]) -> date:
    m, d = md
    last = _month_days(y, m)
    return date(y, m, d if d <= last else last)


def _fixed_on_or_after(t: date, md: tuple[int, int]) -> date:
    c = _on(t.year, md)
    return c if c >= t else _on(t.year + 1, md)
