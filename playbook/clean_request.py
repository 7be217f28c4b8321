"""The request class: NUL characters are dropped from form and query values.

No person types a NUL, PostgreSQL refuses to store one in text, and some parsers
stop reading at one; removing them here means no form or service needs to."""

from __future__ import annotations

from flask import Request
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
