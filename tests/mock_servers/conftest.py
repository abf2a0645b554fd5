"""Fixtures: a fresh pair of servers for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mock_servers.servers import Servers, make_servers


@pytest.fixture
def servers() -> Iterator[Servers]:
    yield make_servers()


@pytest.fixture
def make() -> type:
    """Build servers with options: `make(weaknesses=[...], token_format=...)`."""
    return make_servers
