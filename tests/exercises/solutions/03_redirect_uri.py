"""Reference solution: validate the redirect URI (RFC 9700 4.1.3, RFC 8252 7.3).

Only the student's part: the tests splice it into the exercise
(`playground.lesson.grader.splice`), as `check --all` does a submission.
"""

from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "::1")


def redirect_uri_allowed(requested: str, registered: tuple[str, ...]) -> bool:
    """A registered URI exactly; for a loopback one, any port."""
    # RFC 9700 4.1.3, RFC 3986 6.2.1: simple string comparison.
    if requested in registered:
        return True
    # RFC 8252 7.3: a loopback IP redirect URI may name any port.
    asked = urlsplit(requested)
    try:
        port = asked.port
    except ValueError:
        return False
    host = asked.hostname or ""
    if asked.scheme != "http" or host not in LOOPBACK or port is None:
        return False
    if asked.netloc != (f"[{host}]:{port}" if ":" in host else f"{host}:{port}"):
        return False  # user info, or a host written another way
    for uri in registered:
        known = urlsplit(uri)
        if (
            known.scheme == "http"
            and known.netloc in (host, f"[{host}]")
            and (known.path, known.query, known.fragment)
            == (asked.path, asked.query, asked.fragment)
        ):
            return True
    return False
