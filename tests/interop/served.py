"""`oauth-playground serve` on free loopback ports, for clients nobody here wrote.

The servers run in this process through `serve()` (the function behind the
command), on real sockets: every request from a library or from Chromium
crosses TCP on 127.0.0.1, exactly as with the command.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mock_servers.clock import Clock
from mock_servers.serve import serve

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# Every HTTP wait in these tests: loopback answers in milliseconds.
HTTP_TIMEOUT = 5.0


@dataclass(frozen=True)
class Served:
    """What the banner tells a person: the URLs and the private_key_jwt key."""

    banner: str

    def _find(self, pattern: str) -> str:
        match = re.search(pattern, self.banner, re.MULTILINE)
        assert match, f"{pattern!r} not in the banner:\n{self.banner}"
        return match.group(1)

    @property
    def issuer(self) -> str:
        return self._find(r"^Authorization server\s+(http://\S+)$")

    @property
    def api(self) -> str:
        return self._find(r"^Resource server\s+(http://\S+)$")

    @property
    def print_lab(self) -> str:
        return self._find(r"^Print lab API\s+(http://\S+)")

    @property
    def key_file(self) -> Path:
        return Path(self._find(r"private_key_jwt key: (\S+)"))

    def key_file_for(self, client_id: str) -> Path:
        """The private_key_jwt key the banner names for this client."""
        return Path(
            self._find(rf"\* {re.escape(client_id)} .*private_key_jwt key: (\S+)")
        )


@contextmanager
def served(
    redirect_uris: tuple[tuple[str, str], ...] = (),
    clock: Clock | None = None,
    *,
    dpop_nonces: bool = False,
) -> Iterator[Served]:
    """Serve both servers while the block runs; check they stopped cleanly.

    A test may pass a frozen `clock` and advance it instead of sleeping."""
    ready, stop = threading.Event(), threading.Event()
    out, err = io.StringIO(), io.StringIO()
    result: list[int] = []

    def run() -> None:
        result.append(
            serve(
                "127.0.0.1",
                0,
                0,
                (),
                "jwt",
                redirect_uris=redirect_uris,
                clock=clock,
                dpop_nonces=dpop_nonces,
                out=out,
                err=err,
                ready=ready,
                stop=stop,
            )
        )

    thread = threading.Thread(target=run, name="oauth-playground interop", daemon=True)
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
