"""One set of keys for every lesson test: RSA key generation is the slow part."""

from __future__ import annotations

import pytest

from playground.world import WorldKeys


@pytest.fixture(scope="session")
def keys() -> WorldKeys:
    return WorldKeys.generate()
