"""May this page be shown in a frame? The browser's answer, as HTML and CSP say.

The defence against clickjacking (RFC 6749 10.13, RFC 9700 4.16) is a header
the framed page sends: CSP's `frame-ancestors`, or the older X-Frame-Options.
The reasons are worded like Chrome's console.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from playground.actors.sites import DEFAULT_PORTS, origin_of

_SCHEME_SOURCE = re.compile(r"^[a-z][a-z0-9+.-]*:$")
_HOST_SOURCE = re.compile(
    r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?"
    r"(?P<host>\*|(?:\*\.)?[a-z0-9.-]+)"
    r"(?::(?P<port>\*|[0-9]+))?(?P<path>/.*)?$"
)


def frame_verdict(
    headers: httpx.Headers, frame_url: str, embedding_origin: str
) -> tuple[bool, str]:
    """Would a browser render `frame_url`, answered with `headers`, in a frame
    on a page of `embedding_origin`? Returns (rendered, reason).

    CSP Level 3: a `frame-ancestors` directive in any enforced policy decides,
    and then X-Frame-Options is ignored (HTML, "check a navigation response's
    adherence to X-Frame-Options"). The reasons are worded like Chrome's console.
    """
    embedding_origin = origin_of(embedding_origin)
    frame_origin = origin_of(frame_url)
    shown = f"'{frame_url.split('?', 1)[0]}'"
    directives = [
        sources
        for value in headers.get_list("content-security-policy")
        for policy in value.split(",")
        if (sources := _frame_ancestors(policy)) is not None
    ]
    if directives:
        for sources in directives:
            if not _ancestor_allowed(sources, embedding_origin, frame_origin):
                directive = " ".join(["frame-ancestors", *sources])
                return False, (
                    f"Refused to frame {shown} because an ancestor violates the "
                    f'following Content Security Policy directive: "{directive}".'
                )
        return True, (
            f"Content-Security-Policy frame-ancestors allows {embedding_origin} "
            "to frame this page."
        )
    options = {
        option.strip().lower()
        for value in headers.get_list("x-frame-options")
        for option in value.split(",")
        if option.strip()
    }
    if not options:
        return True, (
            "No X-Frame-Options and no CSP frame-ancestors: any site may frame "
            "this page."
        )
    if len(options) > 1:
        if options & {"deny", "sameorigin", "allowall"}:
            return False, (
                f"Refused to display {shown} in a frame because it set multiple "
                f"'X-Frame-Options' headers with conflicting values "
                f"('{', '.join(sorted(options))}')."
            )
        return True, "X-Frame-Options values not understood: ignored."
    (option,) = options
    if option == "deny":
        return False, (
            f"Refused to display {shown} in a frame because it set "
            "'X-Frame-Options' to 'deny'."
        )
    if option == "sameorigin":
        if embedding_origin == frame_origin:
            return True, "X-Frame-Options: SAMEORIGIN, and the embedding page is."
        return False, (
            f"Refused to display {shown} in a frame because it set "
            "'X-Frame-Options' to 'sameorigin'."
        )
    # ALLOW-FROM is obsolete: browsers ignore it (and any other value).
    return True, f"X-Frame-Options: {option} is not enforced by browsers: ignored."


def _frame_ancestors(policy: str) -> list[str] | None:
    """The source list of a policy's first frame-ancestors directive, if any."""
    for directive in policy.split(";"):
        tokens = directive.split()
        if tokens and tokens[0].lower() == "frame-ancestors":
            return tokens[1:]
    return None


def _ancestor_allowed(sources: list[str], ancestor: str, frame_origin: str) -> bool:
    expressions = [source.lower() for source in sources]
    if expressions in ([], ["'none'"]):
        return False
    return any(
        _source_matches(expression, ancestor, frame_origin)
        for expression in expressions
        if expression != "'none'"  # ignored beside other sources (CSP3)
    )


def _source_matches(expression: str, ancestor: str, frame_origin: str) -> bool:
    """CSP3 "does url match expression in origin", for an ancestor's origin."""
    parts = urlsplit(ancestor)
    scheme, host = parts.scheme, (parts.hostname or "")
    port = parts.port or DEFAULT_PORTS.get(scheme)
    own_scheme = urlsplit(frame_origin).scheme
    if expression == "*":
        return scheme in ("http", "https") or scheme == own_scheme
    if expression == "'self'":
        return ancestor == frame_origin
    if _SCHEME_SOURCE.match(expression):
        return _scheme_matches(expression[:-1], scheme)
    found = _HOST_SOURCE.match(expression)
    if found is None:
        return False  # a keyword or nonce that means nothing for frames
    wanted = found["scheme"] or own_scheme
    if not _scheme_matches(wanted, scheme):
        return False
    pattern = found["host"]
    if pattern.startswith("*."):
        if not host.endswith(pattern[1:]):
            return False
    elif pattern != "*" and pattern != host:
        return False
    if found["port"] == "*":
        return True
    if found["port"]:
        return port == int(found["port"])
    return port == DEFAULT_PORTS.get(scheme)


def _scheme_matches(wanted: str, scheme: str) -> bool:
    # An http source also allows its secure upgrade, https.
    return scheme == wanted or (wanted == "http" and scheme == "https")
