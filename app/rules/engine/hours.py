"""Hours as integer hundredths inside the engine; 2-place Decimals and text outside."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_HUNDREDTHS: dict[Decimal, int] = {}
_DECIMALS: dict[int, Decimal] = {}
_CENT = Decimal(100)


def _h(d: Decimal) -> int:
    """Hours as integer hundredths (rounded half up past 2 places)."""
    v = _HUNDREDTHS.get(d)
    if v is None:
        x = d if isinstance(d, Decimal) else Decimal(str(d))
        v = int((x * _CENT).to_integral_value(ROUND_HALF_UP))
        if len(_HUNDREDTHS) < 8192:
            _HUNDREDTHS[d] = v
    return v


def _dec(n: int) -> Decimal:
    v = _DECIMALS.get(n)
    if v is None:
        v = Decimal(n).scaleb(-2)
        if len(_DECIMALS) < 8192:
            _DECIMALS[n] = v
    return v


def _fmt(n: int) -> str:
    return f"{n // 100}.{n % 100:02d}" if n >= 0 else "-" + _fmt(-n)


decimal_hours = _dec  # for callers outside the engine: stored hundredths as the engine's Decimals
