"""Request helpers that check what every page must have."""

from __future__ import annotations

import re

from flask import url_for

_TITLE = re.compile(r"<title>\s*([^<]*\S)\s*</title>", re.I)
_POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.I | re.S)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def check_page(response) -> str:
    """A non-empty <title>, and a CSRF token in every POST form. Returns the HTML."""
    html = response.get_data(as_text=True)
    assert _TITLE.search(html), "page has no non-empty <title>"
    for form in _POST_FORM.findall(html):
        assert "csrf_token" in form, f"a POST form has no CSRF token: {form[:200]}"
    return html


def get_page(client, endpoint: str, expected: int = 200, **url_args):
    """GET a page by endpoint, assert its status, and check the page basics."""
    response = client.get(url_for(endpoint, **url_args))
    assert response.status_code == expected, (response.status_code, response.location)
    if expected == 200 or expected >= 400:
        check_page(response)
    return response


def csrf_token_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def post_form(
    client, url: str, data: dict, expected: int | None = None, page_url: str | None = None
):
    """POST data as a browser would: first fetch the page with the form, take its CSRF token."""
    page = client.get(page_url or url)
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    response = client.post(url, data=data)
    if expected is not None:
        assert response.status_code == expected, (
            response.status_code,
            response.get_data(as_text=True)[:500],
        )
    return response
