"""PhotoBook's discovery refuses metadata a careful client must not use."""

from __future__ import annotations

import httpx
import pytest

from playground.actors.discovering_client import (
    DiscoveryError,
    challenge_parameter,
    registered_redirect_uri,
    well_known_url,
)
from playground.world import World


@pytest.fixture
def world() -> World:
    return World()


def test_challenge_parameter_reads_quoted_auth_params():
    header = (
        'Bearer realm="photos-api", error="invalid_token", '
        'resource_metadata="https://api.example/.well-known/oauth-protected-resource"'
    )
    assert challenge_parameter(header, "resource_metadata") == (
        "https://api.example/.well-known/oauth-protected-resource"
    )
    assert challenge_parameter(header, "realm") == "photos-api"
    assert challenge_parameter(header, "metadata") is None


def test_well_known_urls_follow_rfc_8414_and_9728():
    assert well_known_url("https://as.example", "/.well-known/x") == (
        "https://as.example/.well-known/x"
    )
    assert well_known_url("https://as.example/tenant", "/.well-known/x") == (
        "https://as.example/.well-known/x/tenant"
    )


def test_loopback_redirect_uri_is_registered_without_its_port():
    assert registered_redirect_uri("http://127.0.0.1:51005/callback") == (
        "http://127.0.0.1/callback"
    )
    assert registered_redirect_uri("https://app.example/cb") == "https://app.example/cb"


def test_discovery_follows_the_401_to_the_real_metadata(world):
    client = world.photobook
    url = client.metadata_url_from(client.call_api())
    assert url == "https://api.photos.test/.well-known/oauth-protected-resource"
    client.fetch_resource_metadata(url)
    client.fetch_server_metadata()
    assert client.server_metadata["token_endpoint"] == "https://auth.photos.test/token"


def test_a_challenge_pointing_elsewhere_is_refused(world):
    answer = httpx.Response(
        401,
        headers={
            "WWW-Authenticate": 'Bearer resource_metadata="https://evil.example/'
            '.well-known/oauth-protected-resource"'
        },
    )
    with pytest.raises(DiscoveryError, match=r"RFC 9728 3\)"):
        world.photobook.metadata_url_from(answer)


def test_metadata_for_another_resource_must_not_be_used(world):
    """RFC 9728 3.3 / 7.3: a document whose resource is not the API's."""
    with pytest.raises(DiscoveryError, match=r"must not be used \(RFC 9728 3.3\)"):
        world.photobook.check_resource_metadata(
            {
                "resource": "https://api.photos.test.attacker.test",
                "authorization_servers": ["https://as.attacker.test"],
            }
        )


def test_server_metadata_with_another_issuer_is_refused(world):
    client = world.photobook
    client.resource_metadata = {
        "resource": client.api_url,
        "authorization_servers": ["https://auth.photos.test"],
    }
    with pytest.raises(DiscoveryError, match=r"RFC 8414 3.3"):
        client.check_server_metadata({"issuer": "https://as.attacker.test"})
    with pytest.raises(DiscoveryError, match=r"RFC 9728 4"):
        client.check_server_metadata(
            {
                "issuer": "https://auth.photos.test",
                "protected_resources": ["https://other.example"],
            }
        )
