"""What the authorization server asks of the resource owner before it answers.

An authorization request may need a sign-in, a consent, both or neither. The
OpenID Connect parameters `prompt` and `max_age` (OIDC Core 3.1.2.1) let the
client ask for a fresh sign-in, a consent screen, or no screen at all; this
server honours them on every authorization request, OpenID Connect or not.
The checks run in the order of `next_step`, one line each, so a lesson can
point at the one that decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    LoginRequiredError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
)

from .error_text import quoted
from .models import SignedInUser
from .par import is_pushed_request_uri

# OIDC Core 3.1.2.1 defines these four. select_account is answered with the
# sign-in page: signing in is how a person picks an account here.
PROMPT_VALUES = ("none", "login", "consent", "select_account")


class Step(Enum):
    SIGN_IN = "sign in"
    CONSENT = "consent"
    ANSWER = "answer"


@dataclass(frozen=True)
class AuthenticationRequest:
    """The parts of an authorization request that say what to ask the user."""

    prompt: frozenset[str]
    max_age: int | None

    @classmethod
    def read(cls, params: Mapping[str, str]) -> AuthenticationRequest:
        """Parse `prompt` and `max_age`; raise invalid_request for bad values."""
        prompt = frozenset((params.get("prompt") or "").split())
        if "none" in prompt and len(prompt) > 1:
            # OIDC Core 3.1.2.1: "If this parameter contains none with any
            # other value, an error is returned."
            raise InvalidRequestError(
                "prompt=none cannot be combined with other prompt values."
            )
        unknown = sorted(prompt - set(PROMPT_VALUES))
        if unknown:
            # OIDC Core defines four values and is silent on others; Authlib
            # ignores them. A client that asks for a behaviour this server
            # does not have (prompt=create, say) is told so, as the discovery
            # document's prompt_values_supported announces.
            raise InvalidRequestError(
                f"Unsupported prompt value {quoted(' '.join(unknown))}; this server "
                f"supports {', '.join(PROMPT_VALUES)}."
            )
        max_age = params.get("max_age")
        if max_age is None or max_age == "":
            return cls(prompt, None)
        if not max_age.isdigit():
            # OIDC Core 3.1.2.1: max_age is a number of seconds.
            raise InvalidRequestError(
                "max_age must be a non-negative number of seconds."
            )
        return cls(prompt, int(max_age))


def refuse_request_objects(params: Mapping[str, str]) -> None:
    """OIDC Core 6 / RFC 9101: this server takes no request objects."""
    if "request" in params:
        # OIDC Core 3.1.2.6: "The OP does not support use of the request
        # parameter".
        raise RequestNotSupportedError(
            "This server does not support the request parameter."
        )
    if "request_uri" in params and not is_pushed_request_uri(params["request_uri"]):
        # RFC 9126: a request_uri from this server's PAR endpoint stands for
        # the pushed request (mock_servers.par); any other is a request object
        # by reference (RFC 9101), which this server does not fetch.
        raise RequestURINotSupportedError(
            "This server takes no request objects by reference: a request_uri "
            "must come from its pushed authorization request endpoint (/par)."
        )


def next_step(
    request: AuthenticationRequest,
    user: SignedInUser | None,
    *,
    signed_in_for_this_request: bool,
    consent_on_record: bool,
    now: int,
) -> Step:
    """What to show next; errors for prompt=none are raised without a
    redirect URI (the caller adds the verified one, with state and iss)."""
    if needs_sign_in(request, user, signed_in_for_this_request, now):
        if "none" in request.prompt:
            # OIDC Core 3.1.2.6: "The Authorization Server requires End-User
            # authentication", and prompt=none forbids showing the page.
            raise LoginRequiredError("prompt=none, but the user must sign in first.")
        return Step.SIGN_IN
    if "consent" in request.prompt or not consent_on_record:
        if "none" in request.prompt:
            # OIDC Core 3.1.2.6: "The Authorization Server requires End-User
            # consent"; prompt=none: "MUST NOT display any ... consent user
            # interface pages".
            raise ConsentRequiredError(
                "prompt=none, but the user has not approved this client for "
                "these scopes."
            )
        return Step.CONSENT
    return Step.ANSWER


def needs_sign_in(
    request: AuthenticationRequest,
    user: SignedInUser | None,
    signed_in_for_this_request: bool,
    now: int,
) -> bool:
    if user is None:
        return True
    if signed_in_for_this_request:
        return False  # the fresh sign-in this request asked for has happened
    if {"login", "select_account"} & request.prompt:
        # OIDC Core 3.1.2.1: login "SHOULD prompt the End-User for
        # reauthentication" even with a session.
        return True
    if request.max_age is None:
        return False
    # OIDC Core 3.1.2.1: "If the elapsed time is greater than this value, the
    # OP MUST attempt to actively re-authenticate the End-User"; and
    # "max_age=0 is equivalent to prompt=login".
    return request.max_age == 0 or now - user.auth_time > request.max_age


def with_redirect(error: OAuth2Error, grant: Any) -> OAuth2Error:
    """Send an error found after the request was validated to the verified
    redirect URI, with the request's state (RFC 6749 4.1.2.1)."""
    error.redirect_uri = grant.redirect_uri
    error.redirect_fragment = grant.ERROR_RESPONSE_FRAGMENT
    error.state = grant.request.payload.state
    return error
