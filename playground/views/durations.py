"""Times and durations as a person reads them: one formatter for every view.

A token card, a claim explanation and a CLI line all say "expires in 1 h", so
a learner never meets "1h" in one panel and "1 h" in the next.
"""

from __future__ import annotations

from datetime import UTC, datetime

_UNITS = (("day", 86_400), ("h", 3_600), ("min", 60), ("s", 1))


def duration(seconds: int) -> str:
    """'42 s', '5 min', '1 h 5 min', '3 days 2 h': the two largest units."""
    left = abs(int(seconds))
    parts = []
    for unit, size in _UNITS:
        if left >= size:
            count, left = divmod(left, size)
            name = f"{unit}s" if unit == "day" and count != 1 else unit
            parts.append(f"{count} {name}")
    return " ".join(parts[:2]) or "0 s"


def expiry_text(seconds: int | None) -> str:
    """`exp - now` as a sentence fragment: 'expires in 1 h', 'expired 5 min ago'."""
    if seconds is None:
        return "no expiry (no `exp` claim)"
    if seconds <= 0:
        return f"expired {duration(-seconds)} ago"
    return f"expires in {duration(seconds)}"


def utc_time(epoch: int) -> str:
    """A NumericDate (RFC 7519 2) as a UTC date and time."""
    try:
        return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{epoch} (out of range)"
