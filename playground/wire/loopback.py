"""Put a world's servers on real loopback sockets, keeping its host names.

DESIGN decision 1: no sockets are needed for lessons, yet the same apps can
be served on loopback. Inside this block every actor's request leaves the
process through TCP to a Cheroot server; the transcript is recorded exactly
as in process, so a lesson runs unchanged either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mock_servers.serve import serving
from playground.wire.network import Host, Network


@contextmanager
def on_loopback(network: Network) -> Iterator[dict[str, str]]:
    """Route the network's named hosts to real servers on 127.0.0.1 ports."""
    hosts = network.hosts()
    apps = {host.name: host.app for host in hosts if host.app is not None}
    with serving(apps) as urls:
        for host in hosts:
            if host.name in urls:
                network.add_host(Host(host.name, host.party, upstream=urls[host.name]))
        try:
            yield urls
        finally:
            network.close_upstreams()
            for host in hosts:
                network.add_host(host)
