"""One duration formatter: every panel and the CLI say times the same way."""

from __future__ import annotations

import pytest

from playground.views.durations import duration, expiry_text, utc_time


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (42, "42 s"),
        (60, "1 min"),
        (90, "1 min 30 s"),
        (3600, "1 h"),
        (3900, "1 h 5 min"),
        (86_400, "1 day"),
        (2 * 86_400 + 7200 + 59, "2 days 2 h"),
        (-90, "1 min 30 s"),
    ],
)
def test_duration_shows_the_two_largest_units(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_expiry_text_says_which_side_of_exp_we_are_on() -> None:
    assert expiry_text(3600) == "expires in 1 h"
    assert expiry_text(0) == "expired 0 s ago"
    assert expiry_text(-120) == "expired 2 min ago"
    assert expiry_text(None) == "no expiry (no `exp` claim)"


def test_utc_time_is_utc_and_survives_an_absurd_date() -> None:
    assert utc_time(1_798_761_600) == "2027-01-01 00:00:00 UTC"
    assert utc_time(10**20) == f"{10**20} (out of range)"
