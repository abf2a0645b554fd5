"""Debian's Chromium and a running `oauth-playground ui`, for every browser test."""

from tests.browser.test_lessons_in_chromium import (  # noqa: F401
    app_url,
    app_url_for,
    chromium,
    screenshots,
)
