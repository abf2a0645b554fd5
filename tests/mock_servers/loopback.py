"""`serve` in a thread on free loopback ports, for tests that need sockets."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from mock_servers.serve import serve
from mock_servers.settings import TokenFormat

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Served:
    banner: str

    def _url(self, label: str) -> str:
        match = re.search(rf"^{label}\s+(http://\S+)$", self.banner, re.MULTILINE)
        assert match, self.banner
        return match.group(1)

    @property
    def issuer(self) -> str:
        return self._url("Authorization server")

    @property
    def api(self) -> str:
        return self._url("Resource server")

    @property
    def as_port(self) -> int:
        return urlsplit(self.issuer).port or 0

    @property
    def rs_port(self) -> int:
        return urlsplit(self.api).port or 0


@contextmanager
def served(
    weaknesses: Iterable[str] = (), token_format: TokenFormat = "jwt"
) -> Iterator[Served]:
    """Both servers on 127.0.0.1 while the block runs; stopped cleanly after."""
    ready, stop = threading.Event(), threading.Event()
    out, err = io.StringIO(), io.StringIO()
    result: list[int] = []

    def run() -> None:
        result.append(
            serve(
                "127.0.0.1",
                0,
                0,
                tuple(weaknesses),
                token_format,
                out=out,
                err=err,
                ready=ready,
                stop=stop,
            )
        )

    thread = threading.Thread(target=run, name="oauth-playground test", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.wait(0.05):
            assert thread.is_alive(), err.getvalue()
            assert time.monotonic() < deadline, "serve did not become ready"
        yield Served(out.getvalue())
    finally:
        stop.set()
        thread.join(STOP_TIMEOUT)
    assert not thread.is_alive(), "serve did not stop"
    assert result == [0], err.getvalue()
