"""The store under concurrency and over time: indexed, locked, swept, bounded.

Records are forgotten by the world's clock, never before they stop mattering:
a used code until it expires (so a replay is caught), a rotated refresh token
until its grant's absolute lifetime ends (so its replay revokes the family).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from mock_servers.clock import Clock
from mock_servers.events import Event, EventLog
from mock_servers.models import AuthorizationCode, Client, Token
from mock_servers.store import Store, StoreLimits
from tests.mock_servers.servers import (
    API_URL,
    WEB_CLIENT,
    Servers,
    spa_code,
    spa_redeem,
)

FROZEN_AT = 1_798_761_600
HOUR = 3600
DAY = 24 * HOUR
API = ("photos-api", "photos-api-secret")


@pytest.fixture
def servers(make) -> Servers:
    return make(clock=Clock(frozen_at=FROZEN_AT))


def introspect(servers: Servers, token: str) -> dict:
    response = servers.auth.post("/introspect", data={"token": token}, auth=API)
    assert response.status_code == 200
    return response.json()


def client_credentials(servers: Servers) -> dict:
    response = servers.token(
        {"grant_type": "client_credentials", "scope": "photos.read"},
        auth=("print-shop-service", "print-shop-secret"),
    )
    assert response.status_code == 200
    return response.json()


def test_a_token_is_found_by_access_token_refresh_token_and_jti(
    servers: Servers,
) -> None:
    issued = servers.redeem(servers.code_for()).json()
    store = servers.deployment.store
    record = store.token_by_access_token(issued["access_token"])
    assert record is not None
    assert store.token_by_refresh_token(issued["refresh_token"]) is record
    assert record.access_token_jti
    assert store.token_by_jti(record.access_token_jti) is record
    assert store.token_by_jti("no-such-jti") is None
    assert store.tokens_in_family(record.family_id) == [record]


def test_a_used_code_stays_known_until_it_expires_then_is_forgotten(
    servers: Servers,
) -> None:
    code = servers.code_for()
    assert servers.redeem(code).status_code == 200
    servers.deployment.clock.advance(59)  # the code lives 60 s
    replay = servers.redeem(code)
    assert replay.json()["error_description"] == (
        "The code was already used; the tokens issued from it are revoked."
    )
    # An hour past its expiry, the next write sweeps it away.
    servers.deployment.clock.advance(1 + HOUR)
    client_credentials(servers)
    assert servers.deployment.store.code(code) is None
    assert servers.redeem(code).json()["error_description"] == (
        "Invalid 'code' in request."
    )


def test_an_expired_code_is_still_explained_within_the_hour(servers: Servers) -> None:
    code = servers.code_for()
    servers.deployment.clock.advance(HOUR)
    client_credentials(servers)  # a write: the store sweeps
    assert servers.redeem(code).json()["error_description"] == "The code has expired."


def test_a_rotated_refresh_token_is_remembered_until_its_grant_ends(
    servers: Servers,
) -> None:
    """A public client's grant lasts 7 days, its refresh tokens 1 day idle:
    after 6 days of rotations the first refresh token is long past its idle
    lifetime, yet its replay must still revoke the family."""
    first = spa_redeem(
        servers, spa_code(servers), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    )
    refresh_token = first.json()["refresh_token"]
    latest = refresh_token
    for _ in range(6):
        servers.deployment.clock.advance(DAY - 60)
        latest = refresh(servers, latest).json()["refresh_token"]
    replay = refresh(servers, refresh_token)
    assert replay.json()["error_description"] == (
        "The refresh token was already used; every token of this grant is now revoked."
    )
    assert introspect(servers, latest) == {"active": False}
    # Once the grant's absolute lifetime (and the hour after) is over, the
    # family is forgotten.
    servers.deployment.clock.advance(2 * DAY + HOUR)
    client_credentials(servers)
    assert servers.deployment.store.token_by_refresh_token(refresh_token) is None
    assert servers.deployment.store.token_by_refresh_token(latest) is None


def refresh(servers: Servers, refresh_token: str):
    return servers.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "photo-gallery-spa",
        }
    )


def test_expired_access_tokens_are_forgotten_an_hour_after_expiry(
    servers: Servers,
) -> None:
    token = client_credentials(servers)["access_token"]
    store = servers.deployment.store
    servers.deployment.clock.advance(HOUR)  # expired: still known, inactive
    client_credentials(servers)
    assert store.token_by_access_token(token) is not None
    servers.deployment.clock.advance(HOUR)
    client_credentials(servers)
    assert store.token_by_access_token(token) is None
    assert introspect(servers, token) == {"active": False}


def test_a_pending_authorization_request_ends_after_30_minutes(
    servers: Servers,
) -> None:
    page = servers.auth.get(
        "/authorize?response_type=code&client_id=photoprint"
        "&redirect_uri=https://photoprint.test/callback&scope=basic"
        "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        "&code_challenge_method=S256"
    )
    servers.deployment.clock.advance(30 * 60)
    signed_in = servers.sign_in(page)
    # Signed in, but the request it was for is gone: back to the start page.
    assert signed_in.status_code == 302
    assert signed_in.headers["location"] == "/"
    client_credentials(servers)
    assert servers.deployment.store.pending_authorizations == {}


def test_the_store_keeps_at_most_its_limit_and_a_forgotten_token_is_refused() -> None:
    clock = Clock(frozen_at=FROZEN_AT)
    store = Store(clock=clock, limits=StoreLimits(tokens=3))
    client = Client("c", "C", "confidential", (), ("client_credentials",), (), "", ())
    tokens = [
        Token(
            id=f"t{i}",
            client=client,
            user=None,
            scope="",
            access_token=f"at-{i}",
            issued_at=FROZEN_AT,
            expires_in=HOUR + i,  # t0 ends first
            family_id=f"t{i}",
            grant_type="client_credentials",
            clock=clock,
        )
        for i in range(5)
    ]
    for token in tokens:
        store.save_token(token)
    assert sorted(store.tokens) == ["t2", "t3", "t4"]
    assert store.find_token("at-0") is None
    assert store.find_token("at-4") is not None
    assert store.tokens_in_family("t0") == []


def test_assertion_ids_are_remembered_until_the_assertion_expires() -> None:
    clock = Clock(frozen_at=FROZEN_AT)
    store = Store(clock=clock)
    assert store.use_assertion_id("c", "jti-1", expires_at=FROZEN_AT + 60)
    assert not store.use_assertion_id("c", "jti-1", expires_at=FROZEN_AT + 60)
    clock.advance(60)
    # Expired: the assertion itself is refused for its exp; its jti may go.
    assert store.use_assertion_id("c", "jti-2", expires_at=FROZEN_AT + 120)
    assert store.used_assertion_ids == {("c", "jti-2")}


def test_the_event_log_keeps_the_latest_and_counts_positions() -> None:
    log = EventLog(capacity=3)
    for i in range(5):
        log.record(Event(i, f"e{i}", "s"))
    assert len(log) == 5  # positions: the next event is the sixth
    assert [e.name for e in log] == ["e2", "e3", "e4"]
    assert [e.name for e in log.events[0:2]] == []  # forgotten
    assert [e.name for e in log.events[1:4]] == ["e2", "e3"]
    assert log.events[4].name == "e4"
    assert log.named("e1") == []
    with pytest.raises(IndexError):
        log.events[0]


# -- races between request threads ------------------------------------------------


def test_a_code_redeemed_twice_at_once_is_a_replay_and_both_token_sets_end(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving of two threads of `serve`: while one redemption is
    between its checks and marking the code used, the other one uses it."""
    code = servers.code_for()
    store = servers.deployment.store
    first = {}
    original = store.save_token

    def save_then_race(token: Token) -> None:
        original(token)
        if not first:
            first["token"] = token
            # The other thread: redeems the same code, which is still unused.
            other = servers.redeem(code)
            first["other"] = other

    monkeypatch.setattr(store, "save_token", save_then_race)
    response = servers.redeem(code)
    # The inner (other) redemption marked the code used first and got tokens;
    # the outer one, marking second, is the replay: everything is revoked.
    assert first["other"].status_code == 200
    assert response.status_code == 400
    assert response.json()["error_description"] == (
        "The code was already used; the tokens issued from it are revoked."
    )
    assert introspect(servers, first["other"].json()["access_token"]) == {
        "active": False
    }
    assert first["token"].access_token_revoked


def test_a_refresh_token_used_twice_at_once_is_a_replay(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = spa_redeem(
        servers, spa_code(servers), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    ).json()
    store = servers.deployment.store
    other = {}
    original = store.save_token

    def save_then_race(token: Token) -> None:
        original(token)
        if not other:
            other["token"] = token
            other["response"] = refresh(servers, issued["refresh_token"])

    monkeypatch.setattr(store, "save_token", save_then_race)
    response = refresh(servers, issued["refresh_token"])
    assert other["response"].status_code == 200
    assert response.status_code == 400
    (reused,) = servers.deployment.events.named("refresh_token.reused")
    assert reused.client_id == "photo-gallery-spa"
    new_refresh = other["response"].json()["refresh_token"]
    assert introspect(servers, new_refresh) == {"active": False}


def test_concurrent_requests_never_fail_on_the_shared_store(make) -> None:
    """12 threads issuing, introspecting, revoking and calling the API at once
    (opaque tokens: every API call is an introspection). The old store
    iterated its dicts while other threads added to them."""
    servers = make(token_format="opaque")
    barrier = threading.Barrier(12)

    def work(worker: int) -> list[int]:
        statuses = []
        auth = servers.new_browser()  # one client per thread, as real ones
        api = httpx.Client(
            transport=httpx.WSGITransport(app=servers.deployment.resource_server),
            base_url=API_URL,
        )
        barrier.wait()
        for _ in range(15):
            token = client_credentials(servers)["access_token"]
            statuses.append(
                api.get(
                    "/api/photos", headers={"Authorization": f"Bearer {token}"}
                ).status_code
            )
            statuses.append(
                auth.post("/introspect", data={"token": token}, auth=API).status_code
            )
            if worker % 3 == 0:
                statuses.append(
                    auth.post(
                        "/revoke",
                        data={"token": token},
                        auth=("print-shop-service", "print-shop-secret"),
                    ).status_code
                )
        return statuses

    with ThreadPoolExecutor(12) as pool:
        results = [status for batch in pool.map(work, range(12)) for status in batch]
    assert set(results) == {200}
    assert len(servers.deployment.store.tokens) == 12 * 15


def test_code_used_flag_is_claimed_once() -> None:
    store = Store()
    code = AuthorizationCode(
        "c", WEB_CLIENT[0], "u-1001", None, "basic", FROZEN_AT, FROZEN_AT + 60
    )
    store.save_code(code)
    assert store.use_code(code)
    assert not store.use_code(code)
