"""The glossary: every term defined, specified and linked to a real lesson."""

from __future__ import annotations

from pathlib import Path

from playground.tools import glossary

LESSONS = Path(__file__).resolve().parents[3] / "lessons"
# The lessons a glossary entry may point to (01-15, by these names).
LESSON_FILES = (
    "01_client_credentials.py",
    "02_authorization_code.py",
    "03_authorization_code_pkce.py",
    "04_refresh_token.py",
    "05_implicit.py",
    "06_password.py",
    "07_introspection_and_revocation.py",
    "08_openid_connect.py",
    "09_client_authentication.py",
    "10_device_authorization.py",
    "14_discovering_an_api.py",
    "12_personal_access_tokens.py",
    "13_approved_apps.py",
    "11_token_exchange.py",
)
REQUIRED_TERMS = (
    "access token",
    "authorization code",
    "authorization server",
    "resource server",
    "client",
    "grant",
    "resource owner",
    "scope",
    "jwt",
    "refresh token",
    "pkce",
    "state",
    "redirect uri",
    "consent",
    "introspection",
    "revocation",
    "id token",
    "bearer token",
    "front channel",
    "back channel",
)


def test_every_required_term_is_defined() -> None:
    defined = {term.term.lower() for term in glossary.TERMS}
    assert set(REQUIRED_TERMS) <= defined


def test_every_entry_links_one_of_the_grant_and_advanced_lessons() -> None:
    for term in glossary.TERMS:
        assert term.lesson in LESSON_FILES, term.term


def test_every_linked_lesson_file_exists() -> None:
    for term in glossary.TERMS:
        assert (LESSONS / term.lesson).is_file(), term.lesson


def test_every_entry_has_a_definition_and_a_spec() -> None:
    for term in glossary.TERMS:
        assert term.definition.endswith("."), term.term
        assert term.spec.startswith(("RFC", "OpenID")), term.term


def test_terms_and_slugs_are_unique() -> None:
    assert len({t.term for t in glossary.TERMS}) == len(glossary.TERMS)
    assert len({t.slug for t in glossary.TERMS}) == len(glossary.TERMS)


def test_search_finds_by_name_definition_or_spec() -> None:
    assert glossary.search("") == glossary.TERMS
    assert next(t.term for t in glossary.search("pkce")) == "PKCE"
    assert {t.term for t in glossary.search("RFC 7662")} == {"Introspection"}
    assert glossary.search("no such word anywhere") == ()


def test_lesson_label_reads_the_file_name() -> None:
    assert glossary.lesson_label("04_refresh_token.py") == "Lesson 04: refresh token"
