"""The device grant and discovery lessons on the Lessons page (AppTest): the
polling answers in the messages, the phone's verification page in the
browser panel."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.ui.test_lessons_page import APP, TIMEOUT, codes, counter, texts


def open_at(lesson: str, step: int) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lesson"] = lesson
    at.query_params["step"] = str(step)
    at.run()
    assert not at.exception
    return at


def panel_html(at: AppTest) -> str:
    return "\n".join(str(element.proto.body) for element in at.get("html"))


def test_slow_down_shows_in_the_messages_of_step_3():
    at = open_at("10_device_authorization.py", 3)
    assert counter(at) == "Step 3 of 8"
    assert any('"error": "slow_down"' in code for code in codes(at))


def test_the_consent_page_names_the_tv_in_the_browser_panel():
    at = open_at("10_device_authorization.py", 5)
    page = panel_html(at)
    assert "You are connecting a device" in page
    assert "PhotoFrame TV" in page
    assert "network address 198.51.100.7" in page


def test_the_discovery_lesson_runs_to_its_end_on_the_page():
    at = open_at("14_discovering_an_api.py", 8)
    assert counter(at) == "Step 8 of 8"
    assert any('"error": "invalid_target"' in code for code in codes(at))
    assert "invalid_target" in texts(at)
