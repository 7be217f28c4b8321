"""Reading an uploaded JSON file strictly: the one place that turns bytes into data
for the playbook and survey-instrument imports, refusing what a reader of the file
would read differently from the program."""

from __future__ import annotations

import json
from typing import Any


class DocumentError(ValueError):
    """The file cannot be imported; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    """json.loads keeps the last of two equal keys; a file that says two things at
    once is refused instead, so what is imported is what a reader of the file sees."""
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def load(raw: bytes | str) -> Any:
    """The JSON value in `raw`, or DocumentError: not JSON (absurdly deep nesting
    included), or a key given twice in one object."""
    try:
        return json.loads(raw, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKey as duplicate:
        raise DocumentError(
            [f"The file gives the key “{duplicate.key}” twice in one place; keep one of them."]
        ) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise DocumentError(["The file is not valid JSON."]) from None
