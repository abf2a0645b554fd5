"""The photos API orders prints at the print lab, for the user whose token came in.

`POST /api/prints` (scope `prints.order`) takes `{"photo_id": "p-1", "copies": 1}`.
The photos API then needs a token the print lab accepts. It gets one with a
token exchange (RFC 8693) at the authorization server, as the client
`photos-api` with its own credentials: Alice's token as the `subject_token`,
the print lab as the `resource`, `prints.order` as the scope. The new token is
for the print lab only, lives minutes, and says in `act` that the photos API
acts for Alice. Both calls (photos API -> authorization server, photos API ->
print lab) are back-channel requests a learner sees in the transcript.

`rs.forward_user_token` is the one weakness read here: the photos API sends
Alice's own token on to the print lab instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from flask import Flask, Response, jsonify, request

from .events import Event
from .settings import ResourceServerSettings
from .token_exchange import ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE
from .token_validation import AccessToken

SCOPE = "prints.order"
SERVER_NAME = "resource server"


@dataclass
class TokenExchangeClient:
    """The photos API as an OAuth client of the authorization server: it
    authenticates with its own credentials (HTTP Basic, RFC 6749 2.3.1)."""

    http: httpx.Client
    client_id: str
    client_secret: str

    def exchange(
        self,
        subject_token: str | None,
        *,
        resource: str | None = None,
        audience: str | None = None,
        scope: str | None = None,
        subject_token_type: str | None = ACCESS_TOKEN_TYPE,
        actor_token: str | None = None,
        actor_token_type: str | None = None,
        requested_token_type: str | None = ACCESS_TOKEN_TYPE,
    ) -> httpx.Response:
        """RFC 8693 2.1: the token exchange request; None leaves a parameter out."""
        form = {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject_token,
            "subject_token_type": subject_token_type,
            "resource": resource,
            "audience": audience,
            "scope": scope,
            "requested_token_type": requested_token_type,
            "actor_token": actor_token,
            "actor_token_type": actor_token_type,
        }
        return self.http.post(
            "/token",
            data={name: value for name, value in form.items() if value is not None},
            auth=(self.client_id, self.client_secret),
        )


def exchange_client(settings: ResourceServerSettings) -> TokenExchangeClient:
    """The photos API's own client at the authorization server (`photos-api`,
    the same credentials it introspects with)."""
    return TokenExchangeClient(
        settings.authorization_server,
        settings.introspection_client_id,
        settings.introspection_client_secret,
    )


def register(
    app: Flask,
    settings: ResourceServerSettings,
    protected: Callable[[str], Callable[[Callable[[AccessToken], Any]], Any]],
    photos: Sequence[tuple[str, str, str, str]],
    users: dict[str, Any],
) -> None:
    """Add `POST /api/prints` to the photos API."""

    def record(name: str, token: AccessToken, detail: str) -> None:
        settings.events.record(
            Event(
                settings.clock.now(),
                name,
                SERVER_NAME,
                token.claims.get("client_id"),
                token.subject,
                detail,
            )
        )

    def failed(reason: str, status: int, upstream: httpx.Response) -> Response:
        try:
            said = upstream.json()
        except ValueError:
            said = upstream.text[:200]
        response = jsonify(
            {
                "error": "print_order_failed",
                "error_description": reason,
                "upstream_status": upstream.status_code,
                "upstream_answer": said,
            }
        )
        response.status_code = status
        return response

    @app.post("/api/prints", endpoint="order_print")
    @protected(SCOPE)
    def order_print(token: AccessToken) -> Response | tuple[Response, int]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("photo_id"), str):
            return jsonify(
                {"error": "invalid_request", "error_description": "Send photo_id."}
            ), 400
        photo = next(
            (p for p in photos if p[1] == body["photo_id"] and p[0] == token.subject),
            None,
        )
        user = users.get(token.subject or "")
        if photo is None or user is None:
            return jsonify(
                {"error": "not_found", "error_description": "No such photo of yours."}
            ), 404
        if settings.print_lab is None:
            return jsonify(
                {"error": "unavailable", "error_description": "No print lab."}
            ), 503
        # The token as it came in (the protected decorator checked it).
        incoming = request.headers["Authorization"].partition(" ")[2].strip()
        if "rs.forward_user_token" in settings.weaknesses:
            # The weakness: the user's own token, aud the photos API and every
            # scope the app was granted, goes to another company's server.
            lab_token = incoming
            record("access_token.forwarded", token, settings.print_lab_url)
        else:
            exchanged = exchange_client(settings).exchange(
                incoming, resource=settings.print_lab_url, scope=SCOPE
            )
            if exchanged.status_code != 200:
                return failed(
                    "The authorization server refused the token exchange.",
                    502,
                    exchanged,
                )
            lab_token = exchanged.json()["access_token"]
        order = {
            "photo": {"id": photo[1], "title": photo[2]},
            "copies": body.get("copies", 1),
            "ship_to": {"name": user.name, "city": user.city},
        }
        answer = settings.print_lab.post(
            "/api/print-jobs",
            json=order,
            headers={"Authorization": f"Bearer {lab_token}"},
        )
        if answer.status_code != 201:
            status = 400 if answer.status_code == 400 else 502
            return failed("The print lab refused the order.", status, answer)
        record("print_order.placed", token, answer.json()["job"]["id"])
        return jsonify({"order": answer.json()["job"]}), 201
