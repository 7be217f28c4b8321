"""The engine both authorization matrices run on (tests/test_access_matrix.py for the
playbooks blueprint, tests/security/test_authorization.py for every other route): the
outcomes a cell can expect, persona rows, how a response is judged against a cell,
which routes the URL map has, and compiled templates shared across the many apps."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from jinja2.bccache import Bucket, BytecodeCache

LOGIN = "login"  # 302 to the sign-in page
OK = "ok"  # allowed: 200, 302 or 422 (and whatever else a matrix allows), never 403/404/sign-in
MOVED = "moved"  # 302 somewhere other than sign-in


def row_maker(personas: tuple[str, ...]) -> Callable[..., dict]:
    """A function turning outcomes written in `personas` order into {persona: outcome}."""

    def row(*outcomes) -> dict:
        assert len(outcomes) == len(personas)
        return dict(zip(personas, outcomes, strict=True))

    return row


def is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/auth/login"


def problem_with(
    response,
    expected,
    *,
    allowed: Iterable[int] = (200, 302, 422),
    not_shown: str | None = None,
    page_check: Callable | None = None,
) -> str | None:
    """None when the response is the expected outcome, else what is wrong. OK accepts
    any status in `allowed` (not the sign-in redirect); MOVED (or 302) a redirect that
    is not to sign-in. A 404 must not show `not_shown`; an expected status page is
    handed to `page_check` when it is HTML."""
    status, to_login = response.status_code, is_sign_in_redirect(response)
    got = f"{status} {response.location or ''}".strip()
    if expected == LOGIN:
        return None if to_login else f"expected the sign-in redirect, got {got}"
    if expected == OK:
        return None if status in allowed and not to_login else f"expected allowed, got {got}"
    if expected in (MOVED, 302):
        return (
            None
            if status == 302 and not to_login
            else f"expected a redirect (not to sign-in), got {got}"
        )
    if status != expected:
        return f"expected {expected}, got {got}"
    if not_shown and expected == 404 and not_shown in response.get_data(as_text=True):
        return "a 404 page names the playbook"
    if page_check is not None and response.mimetype == "text/html":
        page_check(response)
    return None


_ANY = re.compile(r"<any\(([^)]*)\):\w+>")


def routes_in_url_map(app, include: Callable[[str], bool]) -> set[tuple[str, str]]:
    """(endpoint[/value of each <any(...)> URL part, in order], method) for every rule
    whose blueprint `include` accepts."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not include(rule.endpoint.rpartition(".")[0]):
            continue
        keys = [rule.endpoint]
        for options in _ANY.findall(rule.rule):
            values = [v.strip().strip("'\"") for v in options.split(",")]
            keys = [f"{key}/{value}" for key in keys for value in values]
        found |= {(key, method) for key in keys for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def routes_in_matrix(matrix: dict) -> set[tuple[str, str]]:
    """(key, method) for every "METHOD[ state]" of every key of a matrix."""
    return {(key, spec.partition(" ")[0]) for key, specs in matrix.items() for spec in specs}


class _SharedTemplateCache(BytecodeCache):
    """Compiled templates kept across the apps of the matrix tests (each test has an
    app of its own, and compiling every page again would be most of the run)."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _SharedTemplateCache()


def share_compiled_templates(app) -> None:
    app.jinja_env.bytecode_cache = _TEMPLATES
