"""Named switches that make a server or client careless, all off by default.

RFC 9700 asks for secure defaults; every insecure behaviour in the playground
lives behind one of these names and is read at exactly one place (`read_at`).
The UI panel, `serve --help` and the README table are generated from
`REGISTRY`, so a weakness is described once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Weakness:
    name: str
    description: str
    read_at: str
    spec: str


REGISTRY: tuple[Weakness, ...] = (
    Weakness(
        "client.skip_state_check",
        "The client accepts a callback whose state does not match the one it sent.",
        "playground client callback",
        "RFC 6749 10.12, RFC 9700 4.7",
    ),
    Weakness(
        "as.loose_redirect_uri",
        "The authorization server accepts any redirect URI that starts with a "
        "registered one (prefix match) instead of an exact match.",
        "mock_servers.models.Client.check_redirect_uri",
        "RFC 9700 4.1, RFC 6749 10.6",
    ),
    Weakness(
        "as.allow_code_reuse",
        "An authorization code can be redeemed more than once, and a replay does "
        "not revoke the tokens issued from it.",
        "mock_servers.grants.AuthorizationCodeGrant.query_authorization_code",
        "RFC 6749 4.1.2, RFC 9700 4.2.4",
    ),
    Weakness(
        "as.pkce_optional",
        "The authorization server lets a client skip PKCE, and redeems a code "
        "issued with a code challenge without its code verifier.",
        "mock_servers.pkce.CodeChallenge",
        "RFC 7636 4.6, RFC 9700 2.1.1",
    ),
    Weakness(
        "as.allow_plain_pkce",
        "The authorization server accepts the 'plain' code challenge method "
        "(challenge = verifier), which an eavesdropper on the request defeats.",
        "mock_servers.pkce.CodeChallenge.supported_methods",
        "RFC 7636 4.2, RFC 9700 2.1.1",
    ),
    Weakness(
        "as.refresh_no_rotation",
        "Refresh tokens are not rotated on use, so a stolen one keeps working and "
        "its reuse cannot be detected.",
        "mock_servers.grants.RefreshTokenGrant",
        "RFC 9700 4.14.2, RFC 6749 10.4",
    ),
    Weakness(
        "rs.skip_signature_check",
        "The resource server reads a JWT's claims without verifying its signature.",
        "mock_servers.token_validation.JWTValidator",
        "RFC 8725 3.3, RFC 9068 4",
    ),
    Weakness(
        "rs.accept_alg_none",
        "The resource server accepts an unsigned JWT whose header says alg: none.",
        "mock_servers.token_validation.JWTValidator",
        "RFC 8725 2.1 and 3.2, RFC 9068 4",
    ),
    Weakness(
        "rs.skip_audience_check",
        "The resource server accepts an access token issued for another audience.",
        "mock_servers.token_validation.JWTValidator.validate",
        "RFC 9068 4, RFC 9700 4.10",
    ),
    Weakness(
        "rs.allow_hs256_key_confusion",
        "The resource server verifies an HS256 token using the authorization "
        "server's RSA public key as the HMAC secret (algorithm confusion).",
        "mock_servers.token_validation.JWTValidator.validate",
        "RFC 8725 2.1 and 3.1",
    ),
    Weakness(
        "as.refresh_scope_upgrade",
        "A refresh request may ask for scopes the resource owner never granted.",
        "mock_servers.grants.RefreshTokenGrant.check_requested_scope",
        "RFC 6749 6, RFC 9700 4.14",
    ),
    Weakness(
        "as.allow_framing",
        "The authorization server's pages can be framed by any site "
        "(no X-Frame-Options, no CSP frame-ancestors): clickjacking.",
        "mock_servers.authorization_server.create_app",
        "RFC 6749 10.13, RFC 9700 4.16",
    ),
    Weakness(
        "as.cross_site_session_cookie",
        "The authorization server's session cookie is SameSite=None, so the "
        "browser sends it inside frames and requests from other sites, as "
        "identity providers once did for silent sign-in in iframes.",
        "mock_servers.authorization_server.SessionCookies.get_cookie_samesite",
        "RFC 6265bis 8.8 (defence in depth for RFC 9700 4.16)",
    ),
    Weakness(
        "as.password_grant_any_client",
        "Any confidential client may use the password grant, not only the "
        "first-party app registered for it.",
        "mock_servers.grants.PasswordGrant.authenticate_token_endpoint_client",
        "RFC 9700 2.4, RFC 6749 4.3",
    ),
    Weakness(
        "client.no_pkce",
        "PhotoPrint, the confidential web client, sends no PKCE, trusting its "
        "client secret and state to protect its authorization codes.",
        "playground.actors.web_client.WebClient (/login)",
        "RFC 9700 2.1.1 and 4.5, RFC 7636 1",
    ),
    Weakness(
        "client.open_redirect",
        "The client's /go endpoint redirects to any URL, not only its own pages.",
        "playground.actors.web_client.WebClient (/go)",
        "RFC 9700 4.11, RFC 6749 10.15",
    ),
    Weakness(
        "client.accept_any_token",
        "The legacy client signs a user in with an access token handed to it, "
        "taking a token good at the API as proof of who is at the keyboard "
        "(access token injection).",
        "playground.actors.web_client.WebClient (/legacy/session)",
        "RFC 9700 4.6, RFC 6749 10.16, RFC 9068 6",
    ),
    Weakness(
        "client.skip_iss_check",
        "The client does not check the iss parameter of the authorization "
        "response against the server it sent the user to (mix-up).",
        "playground.actors.web_client.WebClient (/callback)",
        "RFC 9207 2.4, RFC 9700 4.4",
    ),
    Weakness(
        "rs.skip_expiry_check",
        "The resource server accepts an access token after its exp time.",
        "mock_servers.token_validation.JWTValidator",
        "RFC 9068 4, RFC 7519 4.1.4",
    ),
    Weakness(
        "as.pkce_downgrade",
        "The authorization server ignores a code_verifier sent for a code whose "
        "authorization request had no code_challenge, so a challenge stripped "
        "from the request goes unnoticed (PKCE downgrade).",
        "mock_servers.pkce.CodeChallenge.validate_code_verifier",
        "RFC 9700 4.8.2 and 2.1.1",
    ),
    Weakness(
        "as.redirect_errors_to_any_client",
        "The authorization server sends an error response straight to the "
        "redirect URI of any client, even one it never verified (open "
        "registration): a link to the real server lands on the attacker's site.",
        "mock_servers.authorization_server.PlaygroundAuthorizationServer"
        ".redirect_error",
        "RFC 9700 4.11.2",
    ),
    Weakness(
        "as.redirect_307",
        "Answering the sign-in form at once (consent on record), the "
        "authorization server redirects with 307, so the browser posts the "
        "username and password again, to the client.",
        "mock_servers.authorization_endpoint.sign_in_redirect_status",
        "RFC 9700 4.12, RFC 9110 15.4.8",
    ),
    Weakness(
        "client.unsafe_referrer_policy",
        "PhotoPrint's pages send Referrer-Policy: no-referrer-when-downgrade, so "
        "a third-party image on a callback page gets the page's full address, "
        "authorization code or token included, in Referer.",
        "playground.actors.web_client.WebClient (Referrer-Policy)",
        "RFC 9700 4.2, W3C Referrer Policy",
    ),
    Weakness(
        "client.skip_nonce_check",
        "PhotoPrint accepts an ID token whose nonce is not the one its "
        "browser's session sent, so a code injected into another session "
        "signs that session in.",
        "playground.actors.web_client.WebClient (/callback, ID token)",
        "OIDC Core 3.1.3.7 and 15.5.2, RFC 9700 4.5.3.2",
    ),
    Weakness(
        "client.skip_id_token_audience_check",
        "Photo Gallery's server opens a session for an ID token issued to any "
        "client, without checking that its aud is the gallery.",
        "playground.actors.web_client.WebClient (/spa/session)",
        "OIDC Core 3.1.3.7, RFC 8725 3.9",
    ),
    Weakness(
        "client.identify_by_email",
        "PhotoPrint finds a user's account by the email claim of the ID token, "
        "whichever authorization server vouches for it, instead of by iss and "
        "sub.",
        "playground.actors.web_client.WebClient (accounts)",
        "OIDC Core 5.7, RFC 7519 4.1.2",
    ),
    Weakness(
        "as.client_chooses_client_id",
        "Open registration lets a client choose its own client_id, even a "
        "user's subject identifier, so its client credentials tokens (sub = "
        "client_id) look like that user's.",
        "mock_servers.registration.RegistrationEndpoint.generate_client_id",
        "RFC 9700 4.15, RFC 7591 3.2.1, RFC 9068 2.2",
    ),
    Weakness(
        "as.device_consent_hides_client",
        "The device verification page only asks 'Approve this sign-in?' after "
        "the user code: it does not say a device is being connected, name the "
        "client, show the code or where the request came from, or warn.",
        "mock_servers.device_verification.consent_page",
        "RFC 8628 5.4, draft-ietf-oauth-cross-device-security",
    ),
    Weakness(
        "rs.accept_bearer_for_dpop_bound",
        "The photos API takes a DPoP-bound access token sent as a plain bearer "
        "token (Authorization: Bearer, no DPoP proof), so whoever copies the "
        "token can use it without the client's key.",
        "mock_servers.dpop_resource.check",
        "RFC 9449 7.2, FAPI 2.0 Security Profile 5.3.4",
    ),
    Weakness(
        "rs.forward_user_token",
        "The photos API sends the user's own access token on to the print lab "
        "instead of exchanging it for one made for the print lab, so the print "
        "lab holds a token that also opens the photos API.",
        "mock_servers.print_orders.register",
        "RFC 9700 2.3 and 4.9.2, RFC 8693 2",
    ),
    Weakness(
        "rs.print_lab_any_audience",
        "The print lab's API accepts an access token of the authorization "
        "server whatever its aud, so a token issued for the photos API works "
        "there too (and forwarding one seems to work).",
        "mock_servers.print_lab.PrintLabTokenValidator.validate",
        "RFC 9068 4, RFC 9700 4.10.2",
    ),
)

BY_NAME: MappingProxyType[str, Weakness] = MappingProxyType(
    {weakness.name: weakness for weakness in REGISTRY}
)


class UnknownWeaknessError(ValueError):
    """A weakness name that is not in the registry (a typo must not pass silently)."""

    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(BY_NAME))
        super().__init__(f"unknown weakness {name!r}; known weaknesses: {known}")
        self.name = name


def lookup(name: str) -> Weakness:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownWeaknessError(name) from None


class Weaknesses:
    """The switches turned on in one world; read at request time, so a toggle
    takes effect on the next request."""

    def __init__(self, enabled: Iterable[str] = ()) -> None:
        self._enabled: set[str] = set()
        for name in enabled:
            self.enable(name)

    def enable(self, name: str) -> None:
        self._enabled.add(lookup(name).name)

    def disable(self, name: str) -> None:
        self._enabled.discard(lookup(name).name)

    def set(self, name: str, on: bool) -> None:
        if on:
            self.enable(name)
        else:
            self.disable(name)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        lookup(name)
        return name in self._enabled

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._enabled))

    def __len__(self) -> int:
        return len(self._enabled)

    def __repr__(self) -> str:
        return f"Weaknesses({sorted(self._enabled)!r})"
