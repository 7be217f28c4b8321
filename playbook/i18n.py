"""Which language a page's own text is shown in (Flask-Babel's locale selector).

Only the survey response pages are translated (English and Spanish). The language is
whatever the request names in an explicit `lang` parameter, in the URL or the form;
nothing is remembered between requests (no cookie, no session), so a respondent's
choice travels with their answers. When a form sends `lang` twice, the last value
wins: the response pages carry the current language in a hidden field first and the
language switch, a submit button, after it."""

from __future__ import annotations

from flask import has_request_context, request

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"


def requested_language() -> str:
    """The language the request asks for, English when it names none we have."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    asked = [value for value in request.values.getlist("lang") if value in LANGUAGES]
    return asked[-1] if asked else DEFAULT_LANGUAGE


def select_locale() -> str:
    return requested_language()
