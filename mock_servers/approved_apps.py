"""The apps a user has let in: remembered consent, first-party apps, revoking one.

Two kinds of app reach Alice's data through the authorization server:

- **third-party apps** (PhotoPrint): she saw a consent screen and approved
  it; the server remembers that approval per scope, so the next sign-in goes
  straight back to the app;
- **first-party apps**, the photo service's own (`first_party` on the
  client): the server asks no consent of them, as Google does not for its own
  apps, because the company that runs the server runs the app.

Her account page lists both, with the grants (refresh tokens) each holds, and
lets her revoke one: the approval is forgotten and every token of the app's
grants is revoked at the authorization server (RFC 7009 2.1: revoking a
refresh token "SHOULD also invalidate all access tokens based on the same
authorization grant"). Revoked *at the server*: a JWT access token the app
already holds still verifies at an API that checks JWTs itself, until its
`exp`; only an API that introspects (RFC 7662) sees the revocation at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .models import Client, Token
from .store import Store


def consent_implied(client: Client) -> bool:
    """Does the authorization server approve this client's requests without
    asking the user? Only for a first-party client that can prove who it is.

    RFC 6749 10.2: the authorization server "SHOULD NOT process repeated
    authorization requests automatically (without active resource owner
    interaction) without authenticating the client or relying on other
    measures to ensure that the repeated request comes from the original
    client and not an impersonator"; RFC 8252 8.6 says the same of native
    apps. So a first-party *public* client (no secret) is asked like any
    other; a confidential one redeems its code with its secret.
    """
    return client.first_party and not client.is_public


def identity_assured(client: Client) -> bool:
    """Can a repeated request be trusted to come from this client? A secret
    proves a confidential one; a public one only by https redirect URIs,
    matched exactly (RFC 8252 8.6: "claimed https scheme redirects MAY be
    accepted ... as identity proof"). A loopback port or a plain-http or
    private-use-scheme redirect can be any program on the device."""
    if not client.is_public:
        return True
    return bool(client.redirect_uris) and all(
        urlsplit(uri).scheme == "https" for uri in client.redirect_uris
    )


def consent_on_record(store: Store, user_id: str, client: Client, scope: str) -> bool:
    """May this request skip the consent page? RFC 8252 8.6: unless the
    client's identity can be assured, a request "SHOULD be processed as if no
    previous request had been approved"."""
    return consent_implied(client) or (
        identity_assured(client) and store.has_consent(user_id, client.client_id, scope)
    )


@dataclass(frozen=True)
class ApprovedApp:
    """One app with access to a user's account, as her account page shows it."""

    client: Client
    scopes: tuple[str, ...]  # what she approved (empty for a first-party app)
    first_party: bool
    active_grants: int  # grants whose refresh token still works
    last_issued_at: int | None  # the latest token issued to it for her

    @property
    def client_id(self) -> str:
        return self.client.client_id


def _grants(store: Store, user_id: str, client_id: str | None = None) -> list[Token]:
    return [
        token
        for token in list(store.tokens.values())
        if token.user is not None
        and token.user.id == user_id
        and (client_id is None or token.client.client_id == client_id)
    ]


def _live_refresh(token: Token) -> bool:
    return bool(
        token.refresh_token
        and not token.refresh_token_revoked
        and not token.refresh_token_used
        and token.refresh_token_expiry() is None
    )


def approved_apps(store: Store, user_id: str) -> list[ApprovedApp]:
    """Third-party apps she approved, and first-party apps holding her tokens."""
    consents = store.consents_of(user_id)
    tokens = _grants(store, user_id)
    client_ids = list(consents)
    for token in tokens:
        client = token.client
        if (
            consent_implied(client)
            and client.client_id not in client_ids
            and _live_refresh(token)
        ):
            client_ids.append(client.client_id)
    apps = []
    for client_id in client_ids:
        client = store.client(client_id)
        if client is None:
            continue
        mine = [t for t in tokens if t.client.client_id == client_id]
        apps.append(
            ApprovedApp(
                client=client,
                scopes=tuple(sorted(consents.get(client_id, ()))),
                first_party=consent_implied(client),
                active_grants=sum(_live_refresh(t) for t in mine),
                last_issued_at=max((t.issued_at for t in mine), default=None),
            )
        )
    return sorted(apps, key=lambda app: (app.first_party, app.client.client_name))


@dataclass(frozen=True)
class RevokedApp:
    """What revoking an app did."""

    client_id: str
    scopes_forgotten: frozenset[str]
    tokens_revoked: int


def revoke_app(store: Store, user_id: str, client_id: str) -> RevokedApp:
    """Forget her approval of the app and revoke every token of its grants
    for her (refresh tokens, access tokens, and tokens exchanged from them)."""
    forgotten = store.forget_consent(user_id, client_id)
    families = {t.family_id for t in _grants(store, user_id, client_id)}
    revoked = sum(len(store.revoke_family(family)) for family in families)
    return RevokedApp(client_id, forgotten, revoked)
