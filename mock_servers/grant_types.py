"""Grant type URNs the client registry names, kept apart from the grants that
implement them: the registry (`demo`) is imported by the grants' own modules."""

from __future__ import annotations

# RFC 8693 2.1: the token exchange grant.
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
