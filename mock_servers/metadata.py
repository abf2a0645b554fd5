"""Discovery documents: RFC 8414 and OpenID Connect Discovery 1.0.

Built from the settings and the demo scopes, and checked with Authlib's
`AuthorizationServerMetadata.validate()` and `OpenIDProviderMetadata.validate()`,
so a metadata mistake fails a test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE
from authlib.oidc.discovery import OpenIDProviderMetadata

from .client_auth import PRIVATE_KEY_JWT
from .demo import SCOPES
from .dpop import SIGNING_ALGORITHMS as DPOP_SIGNING_ALGORITHMS
from .interaction import PROMPT_VALUES
from .resource_indicators import known_resources
from .token_exchange import TOKEN_EXCHANGE

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings


def authorization_server_metadata(
    settings: AuthorizationServerSettings,
) -> dict[str, Any]:
    issuer = settings.issuer
    auth_methods = [
        "client_secret_basic",
        "client_secret_post",
        PRIVATE_KEY_JWT,
        "none",
    ]
    # private_key_jwt assertions are verified by joserfc's recommended algorithms.
    signing_algs = ["RS256", "ES256"]
    pkce_methods = ["S256"]
    if "as.allow_plain_pkce" in settings.weaknesses:
        pkce_methods = ["plain", "S256"]
    metadata = AuthorizationServerMetadata(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks.json",
            "revocation_endpoint": f"{issuer}/revoke",
            "introspection_endpoint": f"{issuer}/introspect",
            "userinfo_endpoint": f"{issuer}/userinfo",
            # RFC 7591: open dynamic client registration.
            "registration_endpoint": f"{issuer}/register",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code", "token"],
            "response_modes_supported": ["query", "fragment"],
            "grant_types_supported": [
                "authorization_code",
                "implicit",
                "password",
                "client_credentials",
                "refresh_token",
                DEVICE_CODE_GRANT_TYPE,
                TOKEN_EXCHANGE,  # RFC 8693
            ],
            "token_endpoint_auth_methods_supported": auth_methods,
            "token_endpoint_auth_signing_alg_values_supported": signing_algs,
            "revocation_endpoint_auth_methods_supported": auth_methods,
            "revocation_endpoint_auth_signing_alg_values_supported": signing_algs,
            "introspection_endpoint_auth_methods_supported": auth_methods[:3],
            "introspection_endpoint_auth_signing_alg_values_supported": signing_algs,
            "code_challenge_methods_supported": pkce_methods,
            # RFC 9207 3: the AS sends `iss` in every authorization response.
            "authorization_response_iss_parameter_supported": True,
            # RFC 9101 10.5 / OIDC Discovery 3: no request objects. Said out
            # loud: request_uri_parameter_supported defaults to true.
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            # RFC 8628 4: where a device asks for its device and user codes.
            "device_authorization_endpoint": f"{issuer}/device_authorization",
            # RFC 9728 4: the protected resources this AS issues tokens for
            # (RFC 8707 resource indicators).
            "protected_resources": list(known_resources(settings)),
            # RFC 9126 5: where to push authorization requests. The request_uri
            # it answers is the only kind /authorize takes (hence false above:
            # request objects by reference are not fetched).
            "pushed_authorization_request_endpoint": f"{issuer}/par",
            "require_pushed_authorization_requests": (
                settings.require_pushed_authorization_requests
            ),
            # RFC 9449 5.1: the JWS algorithms accepted for DPoP proofs.
            "dpop_signing_alg_values_supported": list(DPOP_SIGNING_ALGORITHMS),
        }
    )
    metadata.validate()
    return dict(metadata)


def openid_configuration(settings: AuthorizationServerSettings) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 section 3: the RFC 8414 fields plus OIDC's own."""
    document = authorization_server_metadata(settings)
    document.update(
        {
            "subject_types_supported": ["public"],
            # OIDC Prompt Create 1.0 4.2: the prompt values this OP honours.
            "prompt_values_supported": list(PROMPT_VALUES),
            "id_token_signing_alg_values_supported": [settings.signing_key.alg],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "name",
                "preferred_username",
                "email",
                "email_verified",
            ],
        }
    )
    OpenIDProviderMetadata(document).validate()
    return document
