"""OAuth 2.0 Token Exchange (RFC 8693): one API trades a user's token for
a narrower one that another API accepts.

The photos API takes print orders; the print lab's API prints them. To call
the print lab for Alice, the photos API must not send on the token Alice's
app gave it: that token is for the photos API (`aud`), carries every scope the
app asked for, and would let the print lab (or whoever reads its logs) spend
it at the photos API (RFC 9700 4.9.2). Instead the photos API, as a client
with its own credentials, asks the authorization server's token endpoint:

    grant_type=urn:ietf:params:oauth:grant-type:token-exchange
    subject_token=<Alice's token>            (RFC 8693 2.1: REQUIRED)
    subject_token_type=urn:ietf:params:oauth:token-type:access_token
    resource=https://api.printlab.test       (or audience=...)
    scope=prints.order

and gets a token for the print lab only, with a subset of the scopes, a short
life, and `act` naming the photos API as the party acting for Alice
(RFC 8693 4.1, delegation).

Authlib 1.9 ships no token-exchange grant (its `rfc8693` package is empty),
so `TokenExchangeGrant` is written here on Authlib's `BaseGrant` and
`TokenEndpointMixin`, registered like any other grant. Which client may
exchange which tokens for which audience is `TokenExchangePolicy`, one rule
per client, built with the deployment (the URLs differ under `serve`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from authlib.consts import default_json_headers
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
    grants,
)
from joserfc import jwt

from .client_auth import PRIVATE_KEY_JWT
from .grant_types import TOKEN_EXCHANGE
from .grants import _SettingsMixin
from .models import Client, Token
from .resource_indicators import InvalidTargetError
from .token_generators import ACCESS_TOKEN_TYP

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings

# RFC 8693 3 and 5 (IANA): the token type identifiers (the grant type,
# TOKEN_EXCHANGE, lives in grant_types).
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
TOKEN_TYPES = frozenset(
    {
        ACCESS_TOKEN_TYPE,
        "urn:ietf:params:oauth:token-type:refresh_token",
        "urn:ietf:params:oauth:token-type:id_token",
        "urn:ietf:params:oauth:token-type:saml1",
        "urn:ietf:params:oauth:token-type:saml2",
        "urn:ietf:params:oauth:token-type:jwt",  # RFC 7519 9
    }
)
# RFC 6749 3.2: "Request and response parameters MUST NOT be included more
# than once." RFC 8693 2.1 allows several `resource` and `audience` values.
SINGLE_VALUED = (
    "subject_token",
    "subject_token_type",
    "actor_token",
    "actor_token_type",
    "requested_token_type",
    "scope",
)
# How many exchanged tokens a world remembers the audience and actor of.
EXCHANGED_TOKENS_KEPT = 10_000


@dataclass(frozen=True)
class ExchangeRule:
    """What one client may do at the token endpoint with token exchange.

    `acts_for` is the resource server whose tokens the client receives (the
    photos API, for its own client `photos-api`): only tokens issued for it
    may be its subject tokens. `targets` maps each audience it may ask for to
    the scopes it may ask for there.
    """

    client_id: str
    acts_for: str
    targets: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class TokenExchangePolicy:
    """Every rule of this authorization server; a client without one may not
    exchange tokens at all. Exchanged tokens live `lifetime` seconds at most
    (and never longer than the token they came from)."""

    rules: tuple[ExchangeRule, ...] = ()

    def rule_for(self, client_id: str) -> ExchangeRule | None:
        return next((rule for rule in self.rules if rule.client_id == client_id), None)


@dataclass(frozen=True)
class ExchangedToken:
    """What the authorization server remembers of an exchanged token beyond
    its `Token` record: for whom it is (`aud`) and who acts (`act`)."""

    token_id: str
    audience: str
    act: Mapping[str, Any]


@dataclass
class ExchangedTokens:
    """One world's exchanged tokens, by token id; bounded, oldest forgotten."""

    capacity: int = EXCHANGED_TOKENS_KEPT
    _items: OrderedDict[str, ExchangedToken] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, exchanged: ExchangedToken) -> None:
        with self._lock:
            self._items[exchanged.token_id] = exchanged
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def get(self, token_id: str) -> ExchangedToken | None:
        with self._lock:
            return self._items.get(token_id)


def audience_of(settings: AuthorizationServerSettings, token: Token) -> str:
    """The `aud` of an access token this server issued: the photos API,
    unless it came from a token exchange for another audience."""
    exchanged = settings.exchanged_tokens.get(token.id)
    return exchanged.audience if exchanged else settings.resource_server_url


def actor_of(settings: AuthorizationServerSettings, token: Token) -> dict | None:
    """The `act` claim of an exchanged token (RFC 8693 4.1), else None."""
    exchanged = settings.exchanged_tokens.get(token.id)
    return dict(exchanged.act) if exchanged else None


@dataclass(frozen=True)
class ValidatedExchange:
    """A token exchange request that passed every check: what to issue."""

    client: Client
    subject: Token
    audience: str
    scope: str
    act: dict[str, Any]


class TokenExchangeGrant(_SettingsMixin, grants.BaseGrant, grants.TokenEndpointMixin):
    """RFC 8693 2: the token exchange grant at the token endpoint."""

    GRANT_TYPE = TOKEN_EXCHANGE
    # RFC 8693 2.1: "Client authentication to the authorization server is
    # done using the normal mechanisms provided by OAuth 2.0." This server
    # requires it: RFC 8693 2.1 warns that "omitting client authentication
    # allows for a compromised token to be leveraged via an STS into other
    # tokens by anyone possessing the compromised token".
    TOKEN_ENDPOINT_AUTH_METHODS = (
        "client_secret_basic",
        "client_secret_post",
        PRIVATE_KEY_JWT,
    )

    exchange: ValidatedExchange | None = None

    def validate_token_request(self) -> None:
        client = self.authenticate_token_endpoint_client()
        try:
            self.exchange = self._validate(client)
        except OAuth2Error as error:
            self.record(
                "token_exchange.refused",
                client.client_id,
                None,
                f"{error.error}: {error.get_error_description()}",
            )
            raise

    def _validate(self, client: Client) -> ValidatedExchange:
        rule = self.settings.token_exchange.rule_for(client.client_id)
        if not client.check_grant_type(TOKEN_EXCHANGE) or rule is None:
            # RFC 6749 5.2: "The authenticated client is not authorized to use
            # this authorization grant type."
            raise UnauthorizedClientError(
                f"The client {client.client_id} is not authorized to use "
                f"'grant_type={TOKEN_EXCHANGE}'"
            )
        self.request.client = client
        form = self.request.form
        for name in SINGLE_VALUED:
            if len(form.getlist(name)) > 1:
                raise InvalidRequestError(f"Multiple '{name}' in request.")
        subject = self._subject_token(rule, form)
        act = self._actor(client, subject, form)
        requested_type = form.get("requested_token_type")
        if requested_type and requested_type != ACCESS_TOKEN_TYPE:
            raise InvalidRequestError(
                f"This server issues access tokens only (requested_token_type "
                f"{ACCESS_TOKEN_TYPE})."
            )
        audience = self._target(rule, form)
        scope = self._scope(rule, audience, subject, form.get("scope"))
        return ValidatedExchange(client, subject, audience, scope, act)

    def _subject_token(self, rule: ExchangeRule, form: Any) -> Token:
        """RFC 8693 2.1: "The authorization server MUST perform the
        appropriate validation procedures for the indicated token type"; 2.2.2:
        a subject token that is invalid "for any reason, or [is] unacceptable
        based on policy" gets `invalid_request`."""
        subject_token = form.get("subject_token")
        if not subject_token:
            raise InvalidRequestError("Missing 'subject_token' in request.")
        token_type = form.get("subject_token_type")
        if not token_type:
            raise InvalidRequestError("Missing 'subject_token_type' in request.")
        if token_type not in TOKEN_TYPES:
            raise InvalidRequestError(
                f"Unknown subject_token_type {token_type!r} (RFC 8693 3)."
            )
        if token_type != ACCESS_TOKEN_TYPE:
            raise InvalidRequestError(
                "This server exchanges access tokens it issued "
                f"(subject_token_type {ACCESS_TOKEN_TYPE})."
            )
        store = self.settings.store
        token = store.token_by_access_token(subject_token)
        if token is None:
            if self.settings.personal_access_tokens.find(subject_token) is not None:
                raise InvalidRequestError(
                    "The subject_token is a personal access token: it stays "
                    "with its owner and is never exchanged."
                )
            raise InvalidRequestError(
                "The subject_token is not an access token issued by this server."
            )
        if token.is_revoked():
            raise InvalidRequestError("The subject_token has been revoked.")
        if token.is_expired():
            raise InvalidRequestError("The subject_token has expired.")
        audience = audience_of(self.settings, token)
        if audience != rule.acts_for:
            raise InvalidRequestError(
                f"The subject_token was issued for {audience}; the client "
                f"{rule.client_id} may exchange only tokens sent to "
                f"{rule.acts_for}."
            )
        if token.user is None:
            raise InvalidRequestError(
                "The subject_token has no resource owner (client credentials): "
                "there is nobody to act for."
            )
        return token

    def _actor(self, client: Client, subject: Token, form: Any) -> dict[str, Any]:
        """Who acts for the subject (RFC 8693 4.1: "The "act" (actor) claim
        provides a means within a JWT to express that delegation has occurred
        and identify the acting party to whom authority has been delegated").

        RFC 8693 leaves to the server how it knows the actor. An `actor_token`
        (2.1: "A security token that represents the identity of the acting
        party") is accepted here when it is the client's own access token
        (client credentials). Without one, this server's rule for a client
        allowed to exchange names the authenticated client as the actor: the
        photos API's credentials already prove who acts. (RFC 8693 A.1 shows a
        server that treats a request without `actor_token` as impersonation
        and issues no `act`; this server never impersonates.)
        """
        actor_token = form.get("actor_token")
        actor_type = form.get("actor_token_type")
        if actor_token and not actor_type:
            # RFC 8693 2.1: actor_token_type "is REQUIRED when the actor_token
            # parameter is present in the request but MUST NOT be included
            # otherwise."
            raise InvalidRequestError(
                "Missing 'actor_token_type': it is required with 'actor_token'."
            )
        if actor_type and not actor_token:
            raise InvalidRequestError(
                "'actor_token_type' is sent without an 'actor_token'."
            )
        if actor_token:
            if actor_type != ACCESS_TOKEN_TYPE:
                raise InvalidRequestError(
                    f"This server takes an actor_token of type {ACCESS_TOKEN_TYPE}."
                )
            token = self.settings.store.token_by_access_token(actor_token)
            if (
                token is None
                or token.is_revoked()
                or token.is_expired()
                or token.user is not None
                or token.client.client_id != client.client_id
            ):
                raise InvalidRequestError(
                    "The actor_token must be an active access token of this "
                    f"client's own (client credentials of {client.client_id})."
                )
        act: dict[str, Any] = {"sub": client.client_id}
        prior = actor_of(self.settings, subject)
        if prior is not None:
            # RFC 8693 4.1: "A chain of delegation can be expressed by nesting
            # one act claim within another. The outermost act claim
            # represents the current actor while nested act claims represent
            # prior actors."
            act["act"] = prior
        return act

    def _target(self, rule: ExchangeRule, form: Any) -> str:
        """The one service the new token is for, from `resource` (a URI) or
        `audience` (a name; here the services' URLs are their names)."""
        resources = form.getlist("resource")
        for resource in resources:
            if not urlsplit(resource).scheme or "#" in resource:
                # RFC 8707 2 and RFC 8693 2.1: the value "MUST be an absolute
                # URI ... and MUST NOT include a fragment component".
                raise InvalidTargetError(
                    f"resource {resource!r} is not an absolute URI without a fragment."
                )
        targets = list(dict.fromkeys([*form.getlist("audience"), *resources]))
        if not targets:
            raise InvalidTargetError(
                "Name the service the token is for, with 'resource' or 'audience'."
            )
        if len(targets) > 1:
            # RFC 9700 2.3: access tokens "SHOULD be audience-restricted to a
            # specific resource server".
            raise InvalidTargetError(
                "This server issues a token for one service at a time, not "
                + ", ".join(targets)
                + "."
            )
        target = targets[0]
        if target not in rule.targets:
            allowed = ", ".join(rule.targets) or "none"
            raise InvalidTargetError(
                f"The client {rule.client_id} may not ask for a token for "
                f"{target} (it may ask for: {allowed})."
            )
        return target

    def _scope(
        self, rule: ExchangeRule, audience: str, subject: Token, requested: str | None
    ) -> str:
        """A subset of the subject token's scope, and of what the client may
        ask for at that audience."""
        granted = subject.scope.split()
        allowed = rule.targets[audience]
        if requested is None:
            scopes = [s for s in allowed if s in granted]
            if not scopes:
                raise InvalidScopeError(
                    f"The subject_token carries none of the scopes {audience} "
                    f"takes ({' '.join(allowed)})."
                )
            return " ".join(scopes)
        scopes = list(dict.fromkeys(requested.split()))
        if not scopes:
            raise InvalidScopeError("The scope parameter is empty.")
        beyond_subject = [s for s in scopes if s not in granted]
        if beyond_subject:
            # RFC 6749 5.2: invalid_scope, "exceeds the scope granted by the
            # resource owner".
            raise InvalidScopeError(
                "The subject_token was not granted: " + " ".join(beyond_subject)
            )
        beyond_target = [s for s in scopes if s not in allowed]
        if beyond_target:
            raise InvalidScopeError(
                f"The client {rule.client_id} may not ask for "
                f"{' '.join(beyond_target)} at {audience}."
            )
        return " ".join(scopes)

    def create_token_response(self) -> tuple[int, dict[str, Any], list]:
        """RFC 8693 2.2.1: access_token, issued_token_type, token_type, and
        expires_in and scope; no refresh token (2.2.1: "A refresh token will
        typically not be issued when the exchange is of one temporary
        credential (the subject_token) for a different temporary credential
        (the issued token) for use in some other context.").

        The token is a JWT access token (RFC 9068) whatever format the server
        issues elsewhere: the print lab validates JWTs itself, and RFC 8693
        2.1 lets the issued type "be dictated by knowledge of the requirements
        of the service or resource indicated by the resource or audience
        parameter". To the client it is an access token all the same."""
        exchange = self.exchange
        assert exchange is not None  # validate_token_request ran first
        settings = self.settings
        subject = exchange.subject
        now = settings.clock.now()
        # Never longer than the token it came from (RFC 8693 2.1: "the
        # expiration time of the output token may be influenced by that of
        # the input token").
        expires_at = min(
            now + settings.lifetimes.exchanged_access_token, subject.expires_at
        )
        jti = settings.randomness.token(16)
        claims = {
            "iss": settings.issuer,
            "sub": subject.user.id if subject.user else "",
            "aud": exchange.audience,
            # RFC 8693 4.3: "the client identifier of the OAuth 2.0 client
            # that requested the token": the photos API's client.
            "client_id": exchange.client.client_id,
            "scope": exchange.scope,
            "iat": now,
            "exp": expires_at,
            "jti": jti,
            "act": exchange.act,
        }
        header = {"alg": settings.signing_key.alg, "typ": ACCESS_TOKEN_TYP}
        access_token = jwt.encode(header, claims, settings.signing_key.key_set())
        token_id = settings.randomness.token(12)
        settings.store.save_token(
            Token(
                id=token_id,
                client=exchange.client,
                user=subject.user,
                scope=exchange.scope,
                access_token=access_token,
                issued_at=now,
                expires_in=expires_at - now,
                # The exchanged token belongs to the grant of the token it came
                # from: revoking that grant (the app, at Alice's account page)
                # revokes this one too (RFC 8693 2.1: "It may still be
                # appropriate or desirable to propagate token revocation").
                family_id=subject.family_id,
                grant_type=TOKEN_EXCHANGE,
                access_token_jti=jti,
                clock=settings.clock,
            )
        )
        settings.exchanged_tokens.add(
            ExchangedToken(token_id, exchange.audience, exchange.act)
        )
        self.record(
            "access_token.issued",
            exchange.client.client_id,
            subject.user.id if subject.user else None,
            f"token exchange: aud {exchange.audience}, scope {exchange.scope}, "
            f"act {exchange.act['sub']}",
        )
        body = {
            "access_token": access_token,
            # RFC 8693 2.2.1: REQUIRED, "the representation of the issued
            # security token"; token_type says how to use it (Bearer).
            "issued_token_type": ACCESS_TOKEN_TYPE,
            "token_type": "Bearer",
            "expires_in": expires_at - now,
            "scope": exchange.scope,
        }
        return 200, body, default_json_headers
