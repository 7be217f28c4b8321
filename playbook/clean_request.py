"""The request class: NUL characters are dropped from form and query values; a POST
carrying two CSRF tokens is refused.

No person types a NUL, PostgreSQL refuses to store one in text, and some parsers
stop reading at one; removing them here means no form or service needs to."""

from __future__ import annotations

from flask import Request, current_app, request
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.utils import cached_property


def _without_nul(values: MultiDict[str, str]) -> MultiDict[str, str]:
    if not any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
        return values
    return ImmutableMultiDict(
        [
            (key.replace("\x00", ""), value.replace("\x00", ""))
            for key, value in values.items(multi=True)
        ]
    )


class CleanRequest(Request):
    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"])

    @cached_property
    def args(self) -> MultiDict[str, str]:
        return _without_nul(super().args)


def refuse_duplicate_csrf_tokens() -> None:
    """A before_request check, run ahead of Flask-WTF's: a state-changing request with
    more than one CSRF token field is refused with 400. Flask-WTF reads only the first,
    so two disagreeing tokens would be decided by their order. (Two token headers
    reach the app joined into one value, which is no valid token.)"""
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return
    if request.method not in config.get("WTF_CSRF_METHODS", {"POST", "PUT", "PATCH", "DELETE"}):
        return
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if len(request.form.getlist(field)) > 1:
        raise CSRFError("The request carries more than one CSRF token.")
