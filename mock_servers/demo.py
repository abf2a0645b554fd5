"""The demo users and clients every world starts with.

The story is the seeds': a photo-printing service (the client) wants to read a
user's photos held by the photos API (the resource server). The definitions are
immutable; `populate` builds fresh, mutable copies for one world's store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE

from .grant_types import TOKEN_EXCHANGE
from .keys import SigningKey
from .models import Client, User
from .store import Store
from .weaknesses import Weaknesses

SCOPES: MappingProxyType[str, str] = MappingProxyType(
    {
        "basic": "See your name and city",
        "email": "See your email address",
        "photos.read": "View your photos",
        "prints.order": "Order prints of your photos",
        "openid": "Sign you in with your account (OpenID Connect)",
        "profile": "See your profile (name)",
        "offline_access": "Keep access while you are away (refresh token)",
    }
)

# The scopes the photos API serves (its protected resource metadata lists them).
API_SCOPES = ("basic", "email", "photos.read")

CLIENT_HOST = "https://photoprint.test"
# The photo service's own web app, on the photo service's own site.
PHOTOS_WEB_HOST = "https://photos.test"

USERS: tuple[User, ...] = (
    User(
        "u-1001", "alice", "wonderland", "Alice Liddell", "alice@example.org", "Oxford"
    ),
    User("u-1002", "bob", "builder", "Bob Builder", "bob@example.org", "Bristol"),
)


@dataclass(frozen=True)
class DemoClient:
    """A client registration as the README and `serve` describe it."""

    client_id: str
    client_name: str
    client_type: str
    description: str
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    scope: str
    token_endpoint_auth_methods: tuple[str, ...]
    # RFC 6749 3.3: the scope granted when a request names none.
    default_scope: str = "basic"
    client_secret: str | None = None
    uses_private_key_jwt: bool = False
    can_introspect: bool = False
    first_party: bool = False
    # False for a client of open registration, which no one at the AS reviewed.
    verified: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


ALL_SCOPES = " ".join(SCOPES)

CLIENTS: tuple[DemoClient, ...] = (
    DemoClient(
        client_id="photoprint",
        client_name="PhotoPrint",
        client_type="confidential",
        description="Confidential web app: prints your photos; keeps its secret "
        "on its server.",
        redirect_uris=(f"{CLIENT_HOST}/callback",),
        grant_types=("authorization_code", "refresh_token"),
        response_types=("code",),
        scope=ALL_SCOPES,
        token_endpoint_auth_methods=("client_secret_basic", "client_secret_post"),
        client_secret="photoprint-secret",
    ),
    DemoClient(
        client_id="photo-gallery-spa",
        client_name="Photo Gallery (single-page app)",
        client_type="public",
        description="Public client running in the browser: no secret, uses PKCE.",
        redirect_uris=(f"{CLIENT_HOST}/spa/callback",),
        grant_types=("authorization_code", "refresh_token"),
        response_types=("code",),
        scope=ALL_SCOPES,
        token_endpoint_auth_methods=("none",),
    ),
    DemoClient(
        client_id="photo-uploader-native",
        client_name="Photo Uploader (native app)",
        client_type="public",
        description="Public native app: PKCE, loopback redirect on any port "
        "(RFC 8252 7.3).",
        redirect_uris=("http://127.0.0.1/callback",),
        grant_types=("authorization_code", "refresh_token"),
        response_types=("code",),
        scope=ALL_SCOPES,
        token_endpoint_auth_methods=("none",),
    ),
    DemoClient(
        client_id="print-shop-service",
        client_name="Print Shop (service)",
        client_type="confidential",
        description="Machine-to-machine service: client credentials only; "
        "authenticates with a secret or with private_key_jwt (RFC 7523).",
        redirect_uris=(),
        grant_types=("client_credentials",),
        response_types=(),
        scope="photos.read",
        default_scope="photos.read",
        token_endpoint_auth_methods=(
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ),
        client_secret="print-shop-secret",
        uses_private_key_jwt=True,
    ),
    DemoClient(
        client_id="photoprint-mobile",
        client_name="PhotoPrint Mobile (first-party)",
        client_type="confidential",
        description="First-party app allowed the deprecated password grant.",
        redirect_uris=(),
        grant_types=("password", "refresh_token"),
        response_types=(),
        scope="basic email photos.read offline_access",
        token_endpoint_auth_methods=("client_secret_basic", "client_secret_post"),
        client_secret="photoprint-mobile-secret",
        first_party=True,
    ),
    DemoClient(
        client_id="legacy-gallery",
        client_name="Legacy Gallery (implicit)",
        client_type="public",
        description="Old browser app allowed the deprecated implicit grant.",
        redirect_uris=(f"{CLIENT_HOST}/legacy/callback",),
        grant_types=("implicit",),
        response_types=("token",),
        scope="basic email photos.read",
        token_endpoint_auth_methods=("none",),
    ),
    DemoClient(
        client_id="photo-printz",
        client_name="PhotoPrintz",
        client_type="confidential",
        description="A look-alike client the attacker registered (open "
        "registration): same logo, one letter different.",
        redirect_uris=("https://attacker.test/callback",),
        grant_types=("authorization_code",),
        response_types=("code",),
        scope="openid profile basic email photos.read",
        token_endpoint_auth_methods=("client_secret_basic", "client_secret_post"),
        client_secret="photoprintz-secret",
        verified=False,
    ),
    DemoClient(
        client_id="photoframe-tv",
        client_name="PhotoFrame TV",
        client_type="public",
        description="A TV app that shows your photos as a slideshow. No "
        "keyboard, no browser: it connects with a code you enter on your phone "
        "(device authorization grant, RFC 8628).",
        redirect_uris=(),
        grant_types=(DEVICE_CODE_GRANT_TYPE, "refresh_token"),
        response_types=(),
        scope="basic photos.read",
        default_scope="photos.read",
        token_endpoint_auth_methods=("none",),
    ),
    DemoClient(
        client_id="photoprint-fapi",
        client_name="PhotoPrint Business (FAPI 2.0)",
        client_type="confidential",
        description="PhotoPrint's business edition, held to the FAPI 2.0 Security "
        "Profile: private_key_jwt (ES256), pushed authorization requests only, "
        "PKCE S256, DPoP-bound tokens.",
        redirect_uris=(f"{CLIENT_HOST}/fapi/callback",),
        grant_types=("authorization_code", "refresh_token"),
        response_types=("code",),
        scope=ALL_SCOPES,
        token_endpoint_auth_methods=("private_key_jwt",),
        uses_private_key_jwt=True,
        extra={
            # RFC 9126 6: this client's authorization requests must be pushed.
            "require_pushed_authorization_requests": True,
            # RFC 9449 5.2: its token requests must carry a DPoP proof.
            "dpop_bound_access_tokens": True,
        },
    ),
    DemoClient(
        client_id="photos-web",
        client_name="Photos (the photo service's own web app)",
        client_type="confidential",
        description="First-party web app of the photo service itself: the "
        "authorization server asks no consent of its users, as Google does not "
        "for its own apps.",
        redirect_uris=(f"{PHOTOS_WEB_HOST}/callback",),
        grant_types=("authorization_code", "refresh_token"),
        response_types=("code",),
        scope=ALL_SCOPES,
        token_endpoint_auth_methods=("client_secret_basic", "client_secret_post"),
        client_secret="photos-web-secret",
        first_party=True,
    ),
    DemoClient(
        client_id="photos-api",
        client_name="Photos API (resource server)",
        client_type="confidential",
        description="The resource server's own credentials: token "
        "introspection (RFC 7662), and token exchange (RFC 8693) to call the "
        "print lab for a user.",
        redirect_uris=(),
        # RFC 8693: to call the print lab for a user.
        grant_types=(TOKEN_EXCHANGE,),
        response_types=(),
        scope="",
        default_scope="",
        token_endpoint_auth_methods=("client_secret_basic", "client_secret_post"),
        client_secret="photos-api-secret",
        can_introspect=True,
    ),
)


def populate(
    store: Store,
    weaknesses: Weaknesses,
    client_keys: dict[str, SigningKey],
    redirect_uri_overrides: dict[str, tuple[str, ...]] | None = None,
) -> None:
    """Fill a world's store with fresh copies of the demo users and clients."""
    overrides = redirect_uri_overrides or {}
    for user in USERS:
        store.add_user(user)
    for demo in CLIENTS:
        key = client_keys.get(demo.client_id)
        store.add_client(
            Client(
                client_id=demo.client_id,
                client_name=demo.client_name,
                client_type=demo.client_type,
                description=demo.description,
                redirect_uris=overrides.get(demo.client_id, demo.redirect_uris),
                grant_types=demo.grant_types,
                response_types=demo.response_types,
                scope=demo.scope,
                default_scope=demo.default_scope,
                token_endpoint_auth_methods=demo.token_endpoint_auth_methods,
                client_secret=demo.client_secret,
                jwks=key.public_jwks() if key else None,
                can_introspect=demo.can_introspect,
                first_party=demo.first_party,
                verified=demo.verified,
                weaknesses=weaknesses,
                client_metadata=dict(demo.extra),
            )
        )
