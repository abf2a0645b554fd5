"""Request text quoted in an error description, made safe to quote.

RFC 6749 5.2 (and 4.1.2.1): "Values for the "error_description" parameter
MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E".
Authlib enforces it by raising ValueError, so a description that quotes what
a client sent (a scope, a redirect URI, a prompt value) with a quote, a
backslash, a control character or non-ASCII text used to become a 500.
"""

from __future__ import annotations

QUOTE_LIMIT = 200


def quoted(text: object) -> str:
    """`text` as a description may show it: `"` becomes `'`, `\\` becomes `/`,
    any other character outside the set becomes `?`; long text is cut."""
    cleaned = str(text).replace('"', "'").replace("\\", "/")
    safe = "".join(ch if 0x20 <= ord(ch) <= 0x7E else "?" for ch in cleaned)
    if len(safe) > QUOTE_LIMIT:
        return safe[:QUOTE_LIMIT] + "..."
    return safe
