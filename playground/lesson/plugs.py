"""Where a student's function plugs into the playground's servers.

Each plug adapts an exercise's contract (plain arguments in, a value out, or
`Refused` raised) to the extension point a server offers, and gives the
function what a real server would have at hand: the issuer's published keys
(fetched over the network, so the fetch is in the transcript), the world's
clock, the registered redirect URIs. The clients' own checks are plugged in
directly (`WebClient.checks`, `OAuthClient.pkce_pair`); see `ScenarioRun`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError

from mock_servers.dpop import ProofRejected
from mock_servers.dpop_binding import check_refresh_binding
from mock_servers.grants import RefreshTokenGrant
from mock_servers.models import Client, Token, count_tokens
from mock_servers.token_validation import AccessToken, TokenRejected
from playground.actors.oauth_client import OAuthClient
from playground.lesson.student_code import REFUSALS
from playground.world import World


def reason(refusal: BaseException) -> str:
    """What a refusal says, as a server answers it."""
    text = str(refusal).strip()
    return f"{type(refusal).__name__}: {text}" if text else type(refusal).__name__


# --- the authorization server: redirect URIs ---------------------------------


@dataclass
class _RedirectUriChecked(Client):
    """A client registration whose redirect URI question is answered by a
    student's function (the AS asks `check_redirect_uri` at /authorize)."""

    redirect_uri_check: Callable[[str, tuple[str, ...]], object] | None = field(
        default=None, repr=False
    )

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        assert self.redirect_uri_check is not None
        return bool(self.redirect_uri_check(redirect_uri, tuple(self.redirect_uris)))


def check_redirect_uris_with(
    world: World, check: Callable[[str, tuple[str, ...]], object]
) -> None:
    """Every registered client's redirect URIs are judged by `check(requested,
    registered)`, which returns True to allow (RFC 6749 3.1.2.3)."""
    store = world.store
    for client in list(store.clients.values()):
        values = {f.name: getattr(client, f.name) for f in fields(Client) if f.init}
        store.add_client(_RedirectUriChecked(**values, redirect_uri_check=check))


# --- the photos API: access tokens ---------------------------------------------


def validate_access_tokens_with(world: World, check: Callable[..., Any]) -> None:
    """The photos API validates each access token with `check(token, *,
    jwks, issuer, audience, now)`: the claims it returns are what the API
    acts on; a refusal is answered 401 invalid_token (RFC 6750 3.1)."""
    settings = world.deployment.rs_settings

    def validate(token: str) -> AccessToken:
        cache = settings.jwks_cache
        if "jwks" not in cache:  # as the API's own validator: fetched once
            response = settings.authorization_server.get("/jwks.json")
            cache["jwks"] = response.json()
        try:
            claims = check(
                token,
                jwks=cache["jwks"],
                issuer=settings.issuer,
                audience=settings.url,
                now=settings.clock.now(),
            )
        except REFUSALS as refusal:
            raise TokenRejected(reason(refusal), "exercise") from None
        return AccessToken(claims=dict(claims), validated_by="jwt")

    settings.token_check = validate


# --- the photos API: DPoP proofs ------------------------------------------------


def verify_dpop_proofs_with(world: World, check: Callable[..., Any]) -> None:
    """The photos API checks each DPoP proof with `check(proof, *, method,
    url, access_token, now, seen_jtis)`, which returns the proof key's
    thumbprint, in place of its own RFC 9449 4.3 checks
    (`ResourceServerSettings.dpop_proof_check`); the API still checks that
    the token is bound to that key (7.1). A refusal is answered 401
    invalid_dpop_proof. `seen_jtis` is the API's memory of accepted proofs'
    `jti` values (11.1), kept for this world."""
    settings = world.deployment.rs_settings
    seen_jtis: set[str] = set()

    def verify(
        proofs: list[str], method: str, url: str, access_token: str
    ) -> str | None:
        if len(proofs) > 1:
            # RFC 9449 4.3 item 1, before the student's function sees one.
            raise ProofRejected("More than one DPoP header in the request.")
        try:
            return check(
                proofs[0] if proofs else None,
                method=method,
                url=url,
                access_token=access_token,
                now=settings.clock.now(),
                seen_jtis=seen_jtis,
            )
        except REFUSALS as refusal:
            raise ProofRejected(reason(refusal)) from None

    settings.dpop_proof_check = verify


# --- PhotoPrint: ID tokens -------------------------------------------------------


def validate_id_tokens_with(world: World, check: Callable[..., Any]) -> None:
    """PhotoPrint validates each ID token with `check(id_token, *, jwks,
    issuer, client_id, nonce, now)`, at its callback and at `/spa/session`;
    the claims it returns name the account to sign in."""

    def validate(
        id_token: str, *, server: OAuthClient, client_id: str, nonce: str | None
    ) -> dict[str, Any]:
        # OIDC Core 10.1.1: the keys from the issuer's jwks_uri, over TLS.
        jwks = server.http.get(f"{server.issuer}/jwks.json").json()
        claims = check(
            id_token,
            jwks=jwks,
            issuer=server.issuer,
            client_id=client_id,
            nonce=nonce,
            now=server.clock.now(),
        )
        return dict(claims)

    world.web_client.checks.id_token = validate


# --- the authorization server: refresh tokens ----------------------------------


class PresentedRefreshToken:
    """A refresh token presented at the token endpoint, as the authorization
    server's records know it (known, issued to this client, unexpired)."""

    def __init__(self, grant: RefreshTokenGrant, record: Token) -> None:
        self._grant = grant
        self._record = record
        self.rotate_requested = False

    @property
    def value(self) -> str:
        return self._record.refresh_token or ""

    @property
    def rotated(self) -> bool:
        """True when an earlier refresh already exchanged this token for a
        new one (it was rotated out): presenting it again is reuse."""
        return self._record.refresh_token_used

    @property
    def revoked(self) -> bool:
        """True when the token was revoked (RFC 7009, or with its grant)."""
        return self._record.refresh_token_revoked

    @property
    def client_id(self) -> str:
        return self._record.client.client_id

    @property
    def user_id(self) -> str | None:
        return self._record.user.id if self._record.user else None

    @property
    def scope(self) -> str:
        return self._record.scope

    def rotate(self) -> None:
        """Issue a new refresh token with this response, and retire this one
        (it is then `rotated`): RFC 9700 4.14.2's refresh token rotation."""
        self.rotate_requested = True

    def revoke_grant(self) -> int:
        """Revoke every access and refresh token issued from this grant (the
        whole chain of rotations); returns how many records that was."""
        family = self._grant.settings.store.revoke_family(self._record.family_id)
        self._grant.record(
            "refresh_token.reused",
            self.client_id,
            self.user_id,
            f"{count_tokens(family)} of this grant revoked by the rotation policy",
        )
        return len(family)

    def __repr__(self) -> str:
        return (
            f"<refresh token {self.value[:8]}... rotated={self.rotated} "
            f"revoked={self.revoked}>"
        )


class _PolicyRefreshTokenGrant(RefreshTokenGrant):
    """The refresh grant with the rotation decision left to `decide`."""

    decide: Callable[[PresentedRefreshToken], object]
    _rotating = False

    @property
    def INCLUDE_NEW_REFRESH_TOKEN(self) -> bool:
        return self._rotating

    def authenticate_refresh_token(self, refresh_token: str) -> Token:
        token = self.settings.store.token_by_refresh_token(refresh_token)
        client = self.request.client
        if token is None:
            raise InvalidGrantError("Invalid 'refresh_token' in request.")
        if not token.check_client(client):
            # RFC 6749 10.4: the refresh token is bound to its client.
            raise InvalidGrantError("The refresh token was issued to another client.")
        # RFC 9449 5: a public client's refresh token bound to a DPoP key.
        check_refresh_binding(token.refresh_token_jkt)
        self.check_not_expired(token, client)
        presented = PresentedRefreshToken(self, token)
        try:
            type(self).decide(presented)
        except REFUSALS as refusal:
            raise InvalidGrantError(reason(refusal)) from None
        self._rotating = presented.rotate_requested
        return token

    def revoke_old_credential(self, refresh_token: Token) -> None:
        if self._rotating:
            # Under the store's lock: of two refreshes racing with one token
            # (serve's threads), the second to mark it is refused.
            if not self.settings.store.use_refresh_token(refresh_token):
                raise InvalidGrantError("The refresh token was already used.")
            return
        super().revoke_old_credential(refresh_token)  # no rotation: idle renewal


def rotate_refresh_tokens_with(
    world: World, decide: Callable[[PresentedRefreshToken], object]
) -> None:
    """The token endpoint's refresh grant asks `decide(token)` about each
    refresh token presented: it returns to let the refresh go on (calling
    `token.rotate()` to issue a new refresh token), or raises to refuse it
    (invalid_grant, RFC 6749 5.2)."""
    grant = type(
        "RefreshTokenGrantWithPolicy",
        (_PolicyRefreshTokenGrant,),
        {"decide": staticmethod(decide)},
    )
    server = world.deployment.authorization_server.extensions["playground_server"]
    server.replace_grant(grant)
