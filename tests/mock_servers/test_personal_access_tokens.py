"""Personal access tokens: their format and storage, the account page that
makes, lists and revokes them, and the photos API that takes them."""

from __future__ import annotations

import hashlib
import re
import zlib

import httpx
import pytest

from mock_servers.clock import Clock
from mock_servers.personal_access_tokens import (
    BASE62,
    PREFIX,
    PersonalAccessTokenError,
    PersonalAccessTokens,
    checksum,
    checksum_is_valid,
    looks_like_personal_access_token,
)
from mock_servers.randomness import Randomness
from tests.mock_servers.servers import WEB_CLIENT, Servers, form_value

DAY = 24 * 3600
TOKEN = re.compile(r"photos_pat_[0-9A-Za-z]{36}")
PHOTOS_API = ("photos-api", "photos-api-secret")


@pytest.fixture
def servers(make) -> Servers:
    return make(clock=Clock(frozen_at=1_798_761_600))


# -- the format and what is kept ----------------------------------------------------


def test_token_is_prefix_random_part_and_crc32_checksum_in_base62() -> None:
    made = PersonalAccessTokens().issue(
        user_id="u-1",
        name="n",
        scope=["basic"],
        lifetime_days=7,
        now=0,
        randomness=Randomness(1),
    )
    token = made.token
    assert token.startswith(PREFIX) and len(token) == len(PREFIX) + 36
    entropy, sent = token[len(PREFIX) : -6], token[-6:]
    assert all(ch in BASE62 for ch in entropy)
    # GitHub's scheme: CRC32 of the random part, base62 with leading zeros.
    number = zlib.crc32(entropy.encode())
    digits = ""
    while number:
        number, digit = divmod(number, 62)
        digits = BASE62[digit] + digits
    assert sent == digits.rjust(6, "0")
    assert checksum_is_valid(token)


def test_checksum_pads_with_leading_zeros() -> None:
    # An entropy whose CRC32 is small needs padding to 6 characters.
    entropy = next(
        e
        for e in (f"{i:030d}" for i in range(100_000))
        if zlib.crc32(e.encode()) < 62**5
    )
    assert checksum(entropy).startswith("0") and len(checksum(entropy)) == 6


def test_only_the_sha256_of_the_token_is_kept() -> None:
    store = PersonalAccessTokens()
    made = store.issue(
        user_id="u-1",
        name="n",
        scope=["basic"],
        lifetime_days=7,
        now=0,
        randomness=Randomness(1),
    )
    assert made.record.token_sha256 == hashlib.sha256(made.token.encode()).hexdigest()
    assert made.token not in repr(store.of_user("u-1"))
    assert store.find(made.token) == made.record


def test_a_look_alike_with_a_wrong_checksum_is_not_looked_up() -> None:
    store = PersonalAccessTokens()
    made = store.issue(
        user_id="u-1",
        name="n",
        scope=["basic"],
        lifetime_days=7,
        now=0,
        randomness=Randomness(1),
    )
    last = made.token[-1]
    typo = made.token[:-1] + ("A" if last != "A" else "B")
    assert looks_like_personal_access_token(typo)
    assert not checksum_is_valid(typo)
    assert store.find(typo) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "Give the token a name, to know it later."),
        ({"name": "x" * 81}, "A token name has at most 80 characters."),
        ({"scope": []}, "Pick at least one scope."),
        (
            {"scope": ["basic", "openid"]},
            "Not a scope a personal access token can have: openid (choose from "
            "basic, email, photos.read, prints.order).",
        ),
        (
            {"lifetime_days": 0},
            "Choose an expiry of 7, 30, 90, 365 days: every token expires.",
        ),
    ],
)
def test_a_token_request_is_refused_with_the_reason(fields, message) -> None:
    request = {"name": "n", "scope": ["basic"], "lifetime_days": 30, **fields}
    with pytest.raises(PersonalAccessTokenError) as refused:
        PersonalAccessTokens().issue(
            user_id="u-1", now=0, randomness=Randomness(1), **request
        )
    assert str(refused.value) == message


def test_a_user_has_a_bounded_number_of_active_tokens() -> None:
    store = PersonalAccessTokens(max_per_user=2)
    made = [
        store.issue(
            user_id="u-1",
            name=f"t{i}",
            scope=["basic"],
            lifetime_days=7,
            now=i,
            randomness=Randomness(i),
        )
        for i in range(2)
    ]
    with pytest.raises(PersonalAccessTokenError):
        store.issue(
            user_id="u-1",
            name="third",
            scope=["basic"],
            lifetime_days=7,
            now=3,
            randomness=Randomness(3),
        )
    store.revoke("u-1", made[0].record.id, now=4)
    for i in range(5, 12):  # revoke as we go: old revoked records are forgotten
        new = store.issue(
            user_id="u-1",
            name=f"n{i}",
            scope=["basic"],
            lifetime_days=7,
            now=i,
            randomness=Randomness(i),
        )
        store.revoke("u-1", new.record.id, now=i)
    assert len(store.of_user("u-1")) <= 4
    assert store.find(made[0].token) is None  # forgotten, so refused all the same


def test_another_users_token_cannot_be_revoked() -> None:
    store = PersonalAccessTokens()
    made = store.issue(
        user_id="u-1",
        name="n",
        scope=["basic"],
        lifetime_days=7,
        now=0,
        randomness=Randomness(1),
    )
    with pytest.raises(PersonalAccessTokenError):
        store.revoke("u-2", made.record.id, now=1)
    assert not store.find(made.token).is_revoked()


# -- the account page ---------------------------------------------------------------


def sign_in(servers: Servers, browser: httpx.Client | None = None) -> httpx.Response:
    browser = browser or servers.auth
    page = browser.get("/account")
    assert 'id="login-form"' in page.text
    signed_in = browser.post(
        "/account/login",
        data={
            "username": "alice",
            "password": "wonderland",
            "csrf_token": form_value(page.text, "csrf_token"),
        },
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/account"
    return browser.get("/account")


def make_token(
    servers: Servers, scope: str = "basic photos.read", days: str = "30"
) -> str:
    page = sign_in(servers)
    response = servers.auth.post(
        "/account/tokens",
        data={
            "csrf_token": form_value(page.text, "csrf_token"),
            "name": "backup",
            "scope": scope,
            "expires_in_days": days,
        },
    )
    assert response.status_code == 200, response.text
    return TOKEN.search(response.text).group(0)


def test_account_page_is_behind_the_sign_in(servers):
    page = servers.auth.get("/account")
    assert page.status_code == 200
    assert 'action="/account/login"' in page.text
    assert "Personal access tokens" not in page.text


def test_wrong_password_on_the_account_page_is_refused(servers):
    page = servers.auth.get("/account")
    response = servers.auth.post(
        "/account/login",
        data={
            "username": "alice",
            "password": "nope",
            "csrf_token": form_value(page.text, "csrf_token"),
        },
    )
    assert response.status_code == 200
    assert "Wrong username or password." in response.text
    assert servers.deployment.events.named("user.authentication.failed")


def test_account_pages_refuse_framing_and_are_not_cached(servers):
    page = sign_in(servers)
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"


def test_new_token_is_shown_once_with_no_store(servers):
    page = sign_in(servers)
    response = servers.auth.post(
        "/account/tokens",
        data={
            "csrf_token": form_value(page.text, "csrf_token"),
            "name": "backup",
            "scope": "basic photos.read",
            "expires_in_days": "30",
        },
    )
    token = TOKEN.search(response.text).group(0)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    listing = servers.auth.get("/account")
    assert token not in listing.text
    assert "backup" in listing.text and "basic photos.read" in listing.text
    [event] = servers.deployment.events.named("personal_access_token.created")
    assert event.user == "u-1001"
    assert token not in event.detail


def test_forms_without_the_csrf_token_are_refused(servers):
    sign_in(servers)
    for path in ("/account/tokens", "/account/tokens/pat-1/revoke"):
        response = servers.auth.post(path, data={"name": "x", "scope": "basic"})
        assert response.status_code == 400
        assert "CSRF token" in response.text
    assert servers.deployment.as_settings.personal_access_tokens.of_user("u-1001") == []


def test_signed_out_posts_go_to_the_sign_in(servers):
    response = servers.auth.post("/account/tokens", data={"name": "x"})
    assert response.status_code == 303
    assert response.headers["location"] == "/account"


def test_bad_token_request_shows_the_page_again_with_400(servers):
    page = sign_in(servers)
    response = servers.auth.post(
        "/account/tokens",
        data={
            "csrf_token": form_value(page.text, "csrf_token"),
            "name": "x",
            "scope": "basic",
            "expires_in_days": "0",
        },
    )
    assert response.status_code == 400
    assert "every token expires" in response.text


# -- the photos API takes it (introspection) ---------------------------------------


def call(servers: Servers, token: str, path: str = "/api/user") -> httpx.Response:
    return servers.api.get(path, headers={"Authorization": f"Bearer {token}"})


def test_api_gives_basic_claims_for_the_basic_scope(servers):
    token = make_token(servers, scope="basic")
    response = call(servers, token)
    assert response.status_code == 200
    assert response.json() == {
        "id": "u-1001",
        "name": "Alice Liddell",
        "city": "Oxford",
    }


def test_api_adds_the_email_for_the_email_scope(servers):
    token = make_token(servers, scope="basic email")
    assert call(servers, token).json()["email"] == "alice@example.org"


def test_api_refuses_photos_without_photos_read(servers):
    token = make_token(servers, scope="basic")
    response = call(servers, token, "/api/photos")
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_api_reads_photos_with_photos_read(servers):
    token = make_token(servers, scope="photos.read")
    response = call(servers, token, "/api/photos")
    assert response.status_code == 200
    assert response.json()["owner"] == "u-1001"


def test_introspection_describes_a_pat_without_a_client_and_records_its_use(servers):
    token = make_token(servers)
    answer = servers.auth.post(
        "/introspect", data={"token": token}, auth=PHOTOS_API
    ).json()
    assert answer == {
        "active": True,
        "token_type": "Bearer",
        "scope": "basic photos.read",
        "sub": "u-1001",
        "username": "alice",
        "iss": "https://auth.photos.test",
        "aud": "https://api.photos.test",
        "iat": 1_798_761_600,
        "exp": 1_798_761_600 + 30 * DAY,
    }
    [record] = servers.deployment.as_settings.personal_access_tokens.of_user("u-1001")
    assert record.last_used_at == 1_798_761_600


def test_a_client_cannot_introspect_a_pat(servers):
    token = make_token(servers)
    answer = servers.auth.post("/introspect", data={"token": token}, auth=WEB_CLIENT)
    assert answer.json() == {"active": False}


def test_revoked_pat_is_401_invalid_token(servers):
    token = make_token(servers)
    page = servers.auth.get("/account")
    revoked = servers.auth.post(
        "/account/tokens/pat-1/revoke",
        data={"csrf_token": form_value(page.text, "csrf_token")},
    )
    assert revoked.status_code == 303
    response = call(servers, token)
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "error_description": "The authorization server says the token is not "
        "active (expired, revoked or unknown)",
    }
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "revoked" in servers.auth.get("/account").text


def test_expired_pat_is_401_invalid_token(servers):
    token = make_token(servers, days="7")
    servers.deployment.clock.advance(7 * DAY)
    response = call(servers, token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert "expired" in servers.auth.get("/account").text


def test_pat_is_introspected_even_where_the_api_validates_jwts(servers):
    assert servers.deployment.rs_settings.validation == "jwt"
    token = make_token(servers)
    assert call(servers, token).status_code == 200
    assert servers.deployment.events.named("access_token.accepted")[-1].user == (
        "u-1001"
    )


def test_pat_works_where_every_token_is_introspected(make):
    servers = make(token_format="opaque")
    token = make_token(servers)
    assert call(servers, token, "/api/photos").status_code == 200


def test_a_pat_is_no_token_for_the_token_endpoint_or_userinfo(servers):
    token = make_token(servers)
    refresh = servers.token(
        {"grant_type": "refresh_token", "refresh_token": token}, auth=WEB_CLIENT
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    userinfo = servers.auth.get(
        "/userinfo", headers={"Authorization": f"Bearer {token}"}
    )
    assert userinfo.status_code == 401


def test_another_user_cannot_revoke_alices_token(servers):
    make_token(servers)
    bob = servers.new_browser()
    page = bob.get("/account")
    bob.post(
        "/account/login",
        data={
            "username": "bob",
            "password": "builder",
            "csrf_token": form_value(page.text, "csrf_token"),
        },
    )
    page = bob.get("/account")
    response = bob.post(
        "/account/tokens/pat-1/revoke",
        data={"csrf_token": form_value(page.text, "csrf_token")},
    )
    assert response.status_code == 404
    [record] = servers.deployment.as_settings.personal_access_tokens.of_user("u-1001")
    assert not record.is_revoked()


@pytest.mark.parametrize("path", ["/account/login", "/account/tokens"])
def test_a_non_ascii_csrf_token_is_a_refused_form_not_a_500(servers, path):
    if path == "/account/login":
        servers.auth.get("/account")  # the session has its token
    else:
        sign_in(servers)
    response = servers.auth.post(
        path, data={"username": "alice", "password": "x", "csrf_token": "é"}
    )
    assert response.status_code == 400
    assert "CSRF token" in response.text
