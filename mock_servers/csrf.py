"""The authorization server's own forms (sign-in, consent, the account page,
the device verification page) carry a synchronizer token: one per browser
session, compared in constant time."""

from __future__ import annotations

import hmac

from flask import request, session

from .randomness import Randomness


def form_token(randomness: Randomness) -> str:
    """This browser session's token, made on first use."""
    if "csrf_token" not in session:
        session["csrf_token"] = randomness.token(16)
    return session["csrf_token"]


def form_ok() -> bool:
    """The posted form's token is this session's. Compared as bytes:
    `compare_digest` refuses a str with non-ASCII characters (a TypeError,
    so a 500, for any hostile form)."""
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(sent.encode(), str(expected).encode())
