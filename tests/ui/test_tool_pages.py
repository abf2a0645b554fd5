"""The tool pages, driven with Streamlit's AppTest: each page opened on its own."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from playground.tools import glossary
from playground.ui import state

UI = Path(__file__).resolve().parents[2] / "playground" / "ui"
PAGES = UI / "app_pages"
TIMEOUT = 30


def page(name: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def texts(elements) -> list[str]:
    return [str(element.value) for element in elements]


# -- JWT workbench ------------------------------------------------------------


def test_workbench_decodes_a_bad_jwt_with_a_clear_error() -> None:
    at = page("jwt_workbench")
    at.text_area(key="jwt_input").set_value("not-a-jwt").run()
    assert not at.exception
    errors = texts(at.error)
    assert len(errors) == 1
    assert errors[0].startswith("This is not a JWT that can be read:")
    assert "Traceback" not in errors[0]


def test_workbench_mints_a_token_that_verifies() -> None:
    at = page("jwt_workbench")
    at.button(key="mint_token").click().run()
    assert not at.exception
    assert at.text_area(key="jwt_input").value.count(".") == 2
    assert any(
        text.startswith("Signature and claims verified") for text in texts(at.success)
    )
    claims = json.loads(at.text_area(key="jwt_claims").value)
    assert claims["sub"] == "u-1001"
    assert claims["client_id"] == "photoprint-mobile"


def test_workbench_alg_none_forgery_is_refused_by_the_api() -> None:
    at = page("jwt_workbench")
    at.button(key="mint_token").click().run()
    claims = json.loads(at.text_area(key="jwt_claims").value)
    claims["sub"] = "u-1002"
    at.text_area(key="jwt_claims").set_value(json.dumps(claims)).run()
    at.radio(key="jwt_signing").set_value("alg_none").run()
    at.button(key="send_to_api").click().run()
    assert not at.exception
    assert "HTTP 401 Unauthorized: the photos API refused the token." in texts(at.error)
    code = texts(at.code)
    assert any(
        'error="invalid_token"' in block and "alg: none" in block for block in code
    )
    assert any(block.startswith("GET /api/user HTTP/1.1") for block in code)


def test_workbench_alg_none_accepted_when_the_api_is_careless() -> None:
    at = page("jwt_workbench")
    at.button(key="mint_token").click().run()
    at.checkbox(key="jwt_weak_accept_alg_none").check().run()
    at.radio(key="jwt_signing").set_value("alg_none").run()
    at.button(key="send_to_api").click().run()
    assert not at.exception
    assert "HTTP 200 OK: the photos API accepted the token." in texts(at.success)


def test_workbench_invalid_claims_json_is_a_clear_error() -> None:
    at = page("jwt_workbench")
    at.button(key="mint_token").click().run()
    at.text_area(key="jwt_claims").set_value('{"sub": ').run()
    assert not at.exception
    assert any(
        text.startswith("The claims are not valid JSON") for text in texts(at.error)
    )


def test_workbench_uses_the_sessions_keys() -> None:
    at = page("jwt_workbench")
    world = at.session_state[state.TOOLS_WORLD]
    assert world.keys is at.session_state[state.KEYS]


# -- PKCE lab -----------------------------------------------------------------


def test_pkce_generate_shows_the_rfc_steps() -> None:
    at = page("pkce_lab")
    at.button(key="pkce_generate").click().run()
    assert not at.exception
    verifier = at.text_input(key="pkce_verifier").value
    assert len(verifier) == 43
    markdown = texts(at.markdown)
    for label in (
        "**ASCII(code_verifier)**",
        "**SHA256(ASCII(code_verifier)) (hex)**",
        "**BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))**",
        "**code_challenge = code_verifier**",
    ):
        assert label in markdown
    assert verifier in texts(at.code)


def test_pkce_rfc_7636_appendix_b_vector() -> None:
    at = page("pkce_lab")
    at.text_input(key="pkce_verifier").set_value(
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 Appendix B
    ).run()
    assert "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" in texts(at.code)


def test_pkce_invalid_verifier_is_explained() -> None:
    at = page("pkce_lab")
    at.text_input(key="pkce_verifier").set_value("too short!").run()
    assert not at.exception
    warning = texts(at.warning)[0]
    assert "at least 43" in warning
    assert "'!'" in warning and "' '" in warning


def test_pkce_check_mismatch_message() -> None:
    at = page("pkce_lab")
    at.text_input(key="pkce_check_verifier").set_value("a" * 43)
    at.text_input(key="pkce_check_challenge").set_value("b" * 43).run()
    assert not at.exception
    [error] = texts(at.error)
    assert error.startswith("Mismatch.")
    assert "invalid_grant" in error


def test_pkce_check_match_via_the_pair_button() -> None:
    at = page("pkce_lab")
    at.button(key="pkce_generate").click().run()
    at.button(key="pkce_use_pair").click().run()
    assert not at.exception
    assert any(text.startswith("Match.") for text in texts(at.success))


# -- request builder ----------------------------------------------------------


def test_request_builder_sends_a_token_request() -> None:
    at = page("request_builder")
    at.selectbox(key="rb_client").set_value("print-shop-service").run()
    at.button(key="rb_add_credentials").click().run()
    assert at.text_area(key="rb_headers").value.startswith("Authorization: Basic ")
    at.button(key="rb_send").click().run()
    assert not at.exception
    [raw] = [block for block in texts(at.code) if block.startswith("POST /token")]
    assert "HTTP/1.1 200 OK" in raw
    assert '"access_token"' in raw
    assert "HTTP 200 OK" in texts(at.success)


def test_request_builder_preset_without_token_gets_401() -> None:
    at = page("request_builder")
    at.selectbox(key="rb_preset").set_value("api_no_token").run()
    at.button(key="rb_load_preset").click().run()
    assert at.radio(key="rb_target").value == "RS"
    at.button(key="rb_send").click().run()
    assert not at.exception
    assert "HTTP 401 Unauthorized" in texts(at.error)
    assert (
        'Bearer realm="photos-api", resource_metadata='
        '"https://api.photos.test/.well-known/oauth-protected-resource"'
    ) in texts(at.code)


def test_request_builder_malformed_header_line_shows_an_error() -> None:
    at = page("request_builder")
    at.text_area(key="rb_headers").set_value("Accept application/json").run()
    assert not at.exception
    [error] = texts(at.error)
    assert "Header line 1 has no colon" in error


# -- which grant? -------------------------------------------------------------


def test_grant_guide_leads_to_client_credentials_and_opens_its_lesson() -> None:
    at = page("which_grant")
    assert "Answer the questions above to see a recommendation." in texts(at.info)
    at.radio(key="guide_q1").set_value("machine").run()
    assert not at.exception
    [success] = texts(at.success)
    assert "client credentials" in success.lower()
    at.session_state[state.STEP] = 3
    at.button(key="open_lesson").click().run()
    assert not at.exception
    lesson = Path(at.session_state[state.LESSON])
    assert lesson.name == "01_client_credentials.py"
    assert lesson.parent == Path(at.session_state[state.LESSONS_DIR])
    assert at.session_state[state.STEP] == 0


def test_grant_guide_spa_gets_pkce() -> None:
    at = page("which_grant")
    at.radio(key="guide_q1").set_value("user").run()
    at.radio(key="guide_q2").set_value("browser").run()
    assert not at.exception
    [success] = texts(at.success)
    assert "PKCE" in success


def test_grant_guide_button_switches_to_the_lessons_page_in_the_app() -> None:
    at = AppTest.from_file(str(UI / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("app_pages/which_grant.py").run()
    at.radio(key="guide_q1").set_value("machine").run()
    at.button(key="open_lesson").click().run()
    assert Path(at.session_state[state.LESSON]).name == "01_client_credentials.py"
    # The guide is gone: the app now shows the Lessons page.
    assert not [radio for radio in at.radio if radio.key == "guide_q1"]


# -- glossary -----------------------------------------------------------------


def test_glossary_lists_every_term() -> None:
    at = page("glossary")
    assert texts(at.subheader) == [term.term for term in glossary.TERMS]


def test_glossary_search_and_lesson_button() -> None:
    at = page("glossary")
    at.text_input(key="glossary_search").set_value("RFC 7009").run()
    assert texts(at.subheader) == ["Revocation"]
    at.button(key="glossary_lesson_revocation").click().run()
    assert not at.exception
    lesson = Path(at.session_state[state.LESSON])
    assert lesson.name == "07_introspection_and_revocation.py"
