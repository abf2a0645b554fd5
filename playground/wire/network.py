"""The virtual network: host names routed to WSGI apps, every message recorded.

Each actor gets its own `httpx.Client` whose transport looks the host up,
calls the app in process (or a real server on loopback, for `serve`), and
records the request and response as an `Exchange`. Nothing follows redirects:
a 302 is a step the learner sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import httpx

from playground.wire.exchange import (
    Channel,
    Exchange,
    HttpRequest,
    HttpResponse,
    Party,
    reason_phrase,
)
from playground.wire.transcript import Transcript

WSGIApp = Callable[..., Any]
USER_AGENTS = MappingProxyType(
    {
        Party.BROWSER: "Mozilla/5.0 (OAuth Playground browser)",
        Party.CLIENT: "OAuth-Playground-Client/1.0",
        Party.RESOURCE_SERVER: "PhotosAPI/1.0 (OAuth Playground resource server)",
        Party.PRINT_LAB: "PrintLab/1.0 (OAuth Playground print lab API)",
        Party.ATTACKER: "EvilBot/6.6 (OAuth Playground attacker)",
    }
)


class UnknownHostError(httpx.ConnectError):
    """No server answers at this host: what a browser shows as "can't reach"."""


@dataclass(frozen=True)
class Host:
    """A name on the network, the party that answers there, and how to reach it."""

    name: str  # host[:port], as in a URL's netloc
    party: Party
    app: WSGIApp | None = None
    upstream: str | None = None  # a real base URL (serve mode), instead of app


class Network:
    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self._hosts: dict[str, Host] = {}
        # One keep-alive connection pool per real server (serve mode): a new
        # TCP connection per request costs ~25 ms on a fresh socket, 30x a request.
        self._upstreams: dict[str, httpx.HTTPTransport] = {}

    def add_host(self, host: Host) -> None:
        self._hosts[host.name.lower()] = host

    def upstream_transport(self, host: Host) -> httpx.HTTPTransport:
        key = host.upstream or ""
        if key not in self._upstreams:
            self._upstreams[key] = httpx.HTTPTransport()
        return self._upstreams[key]

    def close_upstreams(self) -> None:
        for transport in self._upstreams.values():
            transport.close()
        self._upstreams.clear()

    def hosts(self) -> list[Host]:
        return list(self._hosts.values())

    def host_for(self, url: httpx.URL) -> Host | None:
        netloc = url.netloc.decode("ascii").lower()
        name = url.host.lower()
        found = self._hosts.get(netloc) or self._hosts.get(name)
        if found is None:
            # "*.attacker.test": a party owning a whole domain.
            labels = name.split(".")
            for cut in range(1, len(labels)):
                found = self._hosts.get("*." + ".".join(labels[cut:]))
                if found:
                    break
        return found

    def party_at(self, url: str) -> Party | None:
        host = self.host_for(httpx.URL(url))
        return host.party if host else None

    def client(
        self,
        sender: Party,
        *,
        channel: Channel | None = None,
        base_url: str = "",
        user_agent: str | None = None,
        remote_addr: str = "127.0.0.1",
    ) -> httpx.Client:
        """An HTTP client for one actor; its requests are recorded as `sender`'s.

        `remote_addr` is the network address the servers see the requests
        come from (a device at home, Mallory's machine); in serve mode the
        real socket's address is seen instead."""
        if channel is None:
            channel = Channel.FRONT if sender is Party.BROWSER else Channel.BACK
        return httpx.Client(
            transport=RecordingTransport(self, sender, channel, remote_addr),
            base_url=base_url,
            follow_redirects=False,
            headers={
                "User-Agent": user_agent or USER_AGENTS.get(sender, "OAuth-Playground")
            },
        )


class RecordingTransport(httpx.BaseTransport):
    def __init__(
        self,
        network: Network,
        sender: Party,
        channel: Channel,
        remote_addr: str = "127.0.0.1",
    ) -> None:
        self.network = network
        self.sender = sender
        self.channel = channel
        self.remote_addr = remote_addr

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = self.network.host_for(request.url)
        if host is None:
            raise UnknownHostError(f"No server at {request.url.host}", request=request)
        transcript = self.network.transcript
        step = transcript.current_step
        index, opened = transcript.open_exchange()
        request.read()
        started = time.perf_counter()
        response = self._send(host, request)
        response.read()
        duration_ms = (time.perf_counter() - started) * 1000
        transcript.record(
            Exchange(
                index=index,
                sender=self.sender,
                receiver=host.party,
                channel=self.channel,
                request=HttpRequest(
                    method=request.method,
                    url=str(request.url),
                    headers=_headers(request.headers),
                    body=request.content,
                ),
                response=HttpResponse(
                    status=response.status_code,
                    reason=reason_phrase(response.status_code),
                    headers=_headers(response.headers),
                    body=response.content,
                ),
                step=step,
                duration_ms=duration_ms,
                opened=opened,
                closed=transcript.tick(),
            )
        )
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            content=response.content,
            request=request,
        )

    def _send(self, host: Host, request: httpx.Request) -> httpx.Response:
        if host.app is not None:
            transport = httpx.WSGITransport(app=host.app, remote_addr=self.remote_addr)
            return transport.handle_request(request)
        assert host.upstream is not None
        upstream = httpx.URL(host.upstream)
        url = request.url.copy_with(
            scheme=upstream.scheme, host=upstream.host, port=upstream.port
        )
        # The real server sees its own loopback address as Host, as if behind a
        # proxy; the recorded exchange keeps the world's host name.
        headers = httpx.Headers(request.headers)
        headers["Host"] = url.netloc.decode("ascii")
        forwarded = httpx.Request(
            request.method, url, headers=headers, content=request.content
        )
        response = self.network.upstream_transport(host).handle_request(forwarded)
        response.read()
        return response


def _headers(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    return tuple(
        (key.decode("latin-1"), value.decode("latin-1")) for key, value in headers.raw
    )
