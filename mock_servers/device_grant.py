"""The device authorization grant (RFC 8628) on Authlib's `rfc8628` hooks.

`DeviceAuthorizationEndpoint` answers `POST /device_authorization` (RFC 8628
3.1-3.2): a device code for the device, a user code for the person, where to
enter it, how long it lives and how often to poll. `DeviceCodeGrant` answers
the device's polling at the token endpoint (3.4-3.5) from the world's clock:
`authorization_pending`, `slow_down` (and the interval grows by 5 s),
`expired_token`, `access_denied`, or the tokens, once. The person's side, the
verification page, is `device_verification`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc8628 import (
    DEVICE_CODE_GRANT_TYPE,
    AuthorizationPendingError,
    ExpiredTokenError,
    SlowDownError,
)
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint as _Endpoint
from authlib.oauth2.rfc8628 import DeviceCodeGrant as _DeviceCodeGrant
from flask import request as http_request

from .client_auth import PRIVATE_KEY_JWT
from .device_authorization import (
    DEFAULT_INTERVAL,
    SLOW_DOWN_STEP,
    DeviceAuthorization,
    Status,
    new_user_code,
)
from .events import Event
from .grants import ALL_AUTH_METHODS, _SettingsMixin
from .models import Client, User
from .resource_indicators import requested, resolve

if TYPE_CHECKING:
    from .settings import AuthorizationServerSettings

VERIFICATION_PATH = "/device"


class DeviceAuthorizationEndpoint(_Endpoint):
    """RFC 8628 3.1: "The client makes a device authorization request to the
    device authorization endpoint", with its client_id (public clients) or
    its client authentication, and the scope it wants."""

    ENDPOINT_NAME = "device_authorization"
    CLIENT_AUTH_METHODS = (
        "client_secret_basic",
        "client_secret_post",
        PRIVATE_KEY_JWT,
        "none",
    )
    INTERVAL = DEFAULT_INTERVAL

    def __init__(self, settings: AuthorizationServerSettings) -> None:
        super().__init__(server=None)
        self.settings = settings

    @property
    def EXPIRES_IN(self) -> int:
        return self.settings.lifetimes.device_code

    def get_verification_uri(self) -> str:
        return f"{self.settings.issuer}{VERIFICATION_PATH}"

    def generate_device_code(self) -> str:
        # RFC 8628 5.2: the device code must be hard to guess; it never leaves
        # the device and the AS.
        return self.settings.randomness.token(32)

    def generate_user_code(self) -> str:
        now = self.settings.clock.now()
        devices = self.settings.store.device_authorizations
        while True:
            code = new_user_code(self.settings.randomness)
            if not devices.user_code_in_use(code, now):
                return code

    def create_endpoint_response(self, request: Any) -> tuple[int, Any, Any]:
        client: Client = self.authenticate_client(request)
        if not client.check_grant_type(DEVICE_CODE_GRANT_TYPE):
            # RFC 6749 5.2 (RFC 8628 3.2: errors as at the token endpoint).
            raise UnauthorizedClientError(
                f"The client {client.client_id} is not registered for the "
                "device authorization grant."
            )
        scope = client.get_allowed_scope(request.payload.scope)  # invalid_scope
        resources = resolve(self.settings, client, requested(request.payload))
        now = self.settings.clock.now()
        user_code = self.generate_user_code()
        authorization = DeviceAuthorization(
            device_code=self.generate_device_code(),
            user_code=user_code,
            client_id=client.client_id,
            scope=scope,
            resources=resources,
            issued_at=now,
            expires_at=now + self.EXPIRES_IN,
            requested_from=http_request.remote_addr or "unknown",
            user_agent=http_request.headers.get("User-Agent", ""),
            interval=self.INTERVAL,
        )
        self.settings.store.device_authorizations.add(authorization)
        verification_uri = self.get_verification_uri()
        data = {
            "device_code": authorization.device_code,
            "user_code": authorization.display_code,
            "verification_uri": verification_uri,
            # RFC 8628 3.3.1: the code in the URI, for a QR code.
            "verification_uri_complete": (
                f"{verification_uri}?user_code={authorization.display_code}"
            ),
            "expires_in": self.EXPIRES_IN,
            "interval": authorization.interval,
        }
        self.settings.events.record(
            Event(
                now,
                "device_authorization.issued",
                "authorization server",
                client.client_id,
                None,
                f"user code {authorization.display_code}, requested from "
                f"{authorization.requested_from}",
            )
        )
        return 200, data, [("Content-Type", "application/json"), *_NO_STORE]


_NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


class DeviceCodeGrant(_SettingsMixin, _DeviceCodeGrant):
    """RFC 8628 3.4-3.5: the device polls the token endpoint with its device
    code until the person has decided, or the code has expired."""

    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def validate_token_request(self) -> None:
        device_code = self.request.payload.data.get("device_code")
        if not device_code:
            raise InvalidRequestError("Missing 'device_code' in request.")
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(
                f"The client {client.client_id} is not registered for the "
                "device authorization grant."
            )
        credential = self.settings.store.device_authorizations.by_device_code(
            device_code
        )
        if credential is None:
            # RFC 6749 5.2: an invalid grant is invalid_grant (Authlib says
            # invalid_request).
            raise InvalidGrantError("Invalid 'device_code' in request.")
        if credential.client_id != client.client_id:
            # RFC 6749 5.2: the grant "was issued to another client".
            raise InvalidGrantError("The device code was issued to another client.")
        self.request.client = client
        self.request.credential = credential
        # One poll at a time decides (serve answers requests in parallel): two
        # polls must not both pass the interval check or both get tokens.
        with self.settings.store.device_authorizations.lock:
            self.request.user = self.validate_device_credential(credential)

    def validate_device_credential(self, credential: DeviceAuthorization) -> User:
        now = self.settings.clock.now()
        client_id = credential.client_id
        if credential.status == Status.REDEEMED:
            raise InvalidGrantError("The device code was already used.")
        if credential.is_expired(now):
            self.record("device_code.expired", client_id, credential.user_id)
            # RFC 8628 3.5: "The "device_code" has expired, and the device
            # authorization session has concluded."
            raise ExpiredTokenError(
                f"The device code expired at {credential.expires_at} (now "
                f"{now}). Start again with a new device authorization request."
            )
        if credential.status == Status.DENIED:
            # RFC 8628 3.5: "The authorization request was denied."
            raise AccessDeniedError("The user denied the request.")
        if credential.status == Status.APPROVED:
            user = self.settings.store.user(credential.user_id)
            if user is not None:
                # One device code, one set of tokens (RFC 6749 5.2: a used
                # grant is invalid_grant): claimed before the tokens are made.
                credential.status = Status.REDEEMED
                return user
        waited = now - (credential.last_polled_at or credential.issued_at)
        credential.last_polled_at = now
        if waited < credential.interval:
            # RFC 8628 3.5: slow_down, "the interval MUST be increased by 5
            # seconds for this and all subsequent requests".
            credential.interval += SLOW_DOWN_STEP
            self.record(
                "device_code.slow_down",
                client_id,
                None,
                f"polled {waited} s after the last request; interval now "
                f"{credential.interval} s",
            )
            raise SlowDownError(
                f"Polled {waited} s after the last request: wait at least "
                f"{credential.interval} s between requests from now on."
            )
        # RFC 8628 3.5: "the end user hasn't yet completed the user-interaction
        # steps"; "the client SHOULD repeat the access token request".
        raise AuthorizationPendingError(
            "The user has not yet approved or denied the request; poll again "
            f"in {credential.interval} s."
        )

    def granted_resources(self) -> tuple[str, ...]:
        credential: DeviceAuthorization = self.request.credential
        return credential.resources or (self.settings.resource_server_url,)

    # Authlib's hooks for its own validate_device_credential, unused here.
    def query_device_credential(self, device_code: str) -> Any:
        return self.settings.store.device_authorizations.by_device_code(device_code)

    def query_user_grant(self, user_code: str) -> Any:
        return None

    def should_slow_down(self, credential: Any) -> bool:
        return False
