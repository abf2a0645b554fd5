"""The page parser reads forms as a browser submits them."""

from __future__ import annotations

from playground.actors.html_page import parse_page


def test_a_select_submits_its_selected_option_else_its_first() -> None:
    page = parse_page(
        '<form id="f"><select name="days"><option value="7">7</option>'
        '<option value="30" selected>30</option></select>'
        '<select name="size"><option value="s">S</option>'
        '<option value="m">M</option></select></form>'
    )
    assert page.form("f").fields == {"days": "30", "size": "s"}


def test_table_cells_read_apart() -> None:
    page = parse_page("<table><tr><td>name</td><td>scopes</td></tr></table>")
    assert page.text == "name scopes"
