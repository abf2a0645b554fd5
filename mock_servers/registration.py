"""Dynamic client registration (RFC 7591): open registration at `/register`.

Anyone may register a client, as at many real authorization servers: the
client gets a client_id and, if it authenticates with a secret, a secret; a
public client (`token_endpoint_auth_method` `none`) gets none. It is marked not
verified (RFC 9700 4.11.2: its redirect URIs are not trusted for automatic
redirects). Authlib's `ClientRegistrationEndpoint` validates the metadata;
this subclass decides who picks the client_id, which is where the
`as.client_chooses_client_id` weakness is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc7591 import (
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
)

from .events import Event
from .metadata import authorization_server_metadata
from .models import Client

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings

# Client identifiers this server issues; its users' subjects look like u-1001.
CLIENT_ID_PREFIX = "client-"
DEFAULT_AUTH_METHOD = "client_secret_basic"  # RFC 7591 2
# The token endpoint authentication methods that use a client_secret.
SECRET_AUTH_METHODS = frozenset({"client_secret_basic", "client_secret_post"})


def requested_auth_method(request: Any) -> str:
    """RFC 7591 2: token_endpoint_auth_method, "If unspecified or omitted, the
    default is client_secret_basic"."""
    method = request.payload.data.get("token_endpoint_auth_method")
    return method if isinstance(method, str) and method else DEFAULT_AUTH_METHOD


class RegistrationEndpoint(ClientRegistrationEndpoint):
    def __init__(self, settings: AuthorizationServerSettings) -> None:
        super().__init__()
        self.settings = settings

    def authenticate_token(self, request: Any) -> str:
        # RFC 7591 3: registration may be open, with no initial access token.
        return "open registration"

    def get_server_metadata(self) -> dict[str, Any]:
        return authorization_server_metadata(self.settings)

    def generate_client_id(self, request: Any) -> str:
        """RFC 7591 3.2.1: the server issues the client identifier.

        RFC 9700 4.15.1: "Authorization servers SHOULD NOT allow clients to
        influence their client_id or any other claim that could cause
        confusion with a genuine resource owner": the server picks the id,
        in a namespace of its own (`client-...`), and ignores any `client_id`
        in the request.
        """
        requested = request.payload.data.get("client_id")
        if requested and "as.client_chooses_client_id" in self.settings.weaknesses:
            # The weakness: the client names itself. Only other clients' ids
            # are checked, not the subjects of the server's users.
            if self.settings.store.client(str(requested)) is not None:
                raise InvalidClientMetadataError(
                    f"The client_id {requested} is already registered."
                )
            return str(requested)
        return CLIENT_ID_PREFIX + self.settings.randomness.token(12)

    def generate_client_secret(self, request: Any) -> str:
        return self.settings.randomness.token(24)

    def generate_client_info(self, request: Any) -> dict[str, Any]:
        info = super().generate_client_info(request)
        info["client_id_issued_at"] = self.settings.clock.now()  # the world's time
        if requested_auth_method(request) not in SECRET_AUTH_METHODS:
            # RFC 7591 2: "none": "The client is a public client as defined in
            # OAuth 2.0, Section 2.1, and does not have a client secret"; 3.2.1:
            # a client_secret "is used by confidential clients to authenticate
            # to the token endpoint", and client_secret_expires_at is "REQUIRED
            # if client_secret is issued". No secret, so neither member.
            info.pop("client_secret", None)
            info.pop("client_secret_expires_at", None)
        return info

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> Client:
        auth_method = requested_auth_method(request)
        client = Client(
            client_id=client_info["client_id"],
            client_name=client_metadata.get("client_name") or client_info["client_id"],
            client_type="public" if auth_method == "none" else "confidential",
            redirect_uris=tuple(client_metadata.get("redirect_uris", ())),
            # RFC 7591 2: grant_types defaults to authorization_code.
            grant_types=tuple(
                client_metadata.get("grant_types", ("authorization_code",))
            ),
            response_types=tuple(client_metadata.get("response_types", ("code",))),
            scope=client_metadata.get("scope", ""),
            default_scope=client_metadata.get("scope", ""),
            token_endpoint_auth_methods=(auth_method,),
            client_secret=client_info.get("client_secret"),
            description="Registered through open registration (RFC 7591).",
            verified=False,
            weaknesses=self.settings.weaknesses,
        )
        self.settings.store.add_client(client)
        requested = request.payload.data.get("client_id")
        detail = f"requested client_id {requested}" if requested else ""
        self.settings.events.record(
            Event(
                self.settings.clock.now(),
                "client.registered",
                "authorization server",
                client.client_id,
                None,
                detail,
            )
        )
        return client
