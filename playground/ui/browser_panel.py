"""The browser panel: the address bar (fragment included) and the page under it,
as the resource owner sees it, forms and hidden fields included."""

from __future__ import annotations

import html

from playground.lesson.snapshot import BrowserView, FormView, browser_view

# The data is the lesson layer's (a worker builds it); drawing it is ours.
__all__ = ["BrowserView", "FormView", "browser_view", "page_html"]


_PAGE_STYLE = (
    "border:1px solid #c9ccd6;border-radius:8px;overflow:hidden;"
    "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:16px;"
    "color:#1b1b1f;background:#ffffff;"
)
_TAB_STYLE = (
    "background:#eef0f5;border-bottom:1px solid #c9ccd6;padding:6px 12px;"
    "font-weight:600;font-size:14px;color:#3a3d48;"
)
_FORM_STYLE = (
    "margin-top:10px;border-top:1px dashed #c9ccd6;padding-top:8px;font-size:14px;"
)
_CELL = "padding:2px 10px 2px 0;vertical-align:top;word-break:break-all;"
_MONO = "font-family:ui-monospace,Menlo,Consolas,monospace;"


def page_html(view: BrowserView) -> str:
    """The page under the address bar: its title as the tab, its text, and
    each form's fields (hidden ones too: the browser posts them all)."""
    esc = html.escape
    body = "".join(f"<div>{esc(line)}</div>" for line in view.text.splitlines())
    if not body and not view.forms:
        body = '<div style="color:#6b6e7a">(a blank page)</div>'
    for form in view.forms:
        rows = "".join(
            f'<tr><td style="{_CELL}{_MONO}">{esc(name)}</td>'
            f'<td style="{_CELL}{_MONO}">{esc(value) if value else "<i>(empty)</i>"}'
            "</td></tr>"
            for name, value in form.fields
        )
        rows += "".join(
            f'<tr><td style="{_CELL}{_MONO}">{esc(name)}</td>'
            f'<td style="{_CELL}{_MONO}">{esc(value)} <i>(button)</i></td></tr>'
            for name, value in form.buttons
        )
        body += (
            f'<div style="{_FORM_STYLE}"><b>Form <code>{esc(form.id)}</code></b>: '
            f'<span style="{_MONO}word-break:break-all">'
            f"{esc(form.method)} {esc(form.action)}</span>"
            f"<table>{rows}</table></div>"
        )
    title = esc(view.title) or "(untitled)"
    return (
        f'<div style="{_PAGE_STYLE}"><div style="{_TAB_STYLE}">{title}</div>'
        f'<div style="padding:10px 14px;line-height:1.5">{body}</div></div>'
    )
