"""The benchmark's yardstick: a page of a requested size rendered from memory with
the site's own layout, hooks and headers, and no database. Registered only when the
app runs with PLAYBOOK_BENCH_ROUTES=1 (bench/run.py sets it); never in production."""

from __future__ import annotations

import random
from functools import lru_cache

from flask import Blueprint, render_template, request

from playbook.devdata.text import Writer
from playbook.permissions import access_public

bp = Blueprint("bench", __name__, url_prefix="/_bench")

MAX_BYTES = 2_000_000
_PARAGRAPH_MARKUP = len("<p></p>\n")


@lru_cache(maxsize=1)
def _text() -> tuple[str, ...]:
    """Plain-English paragraphs, made once per worker (no characters HTML escapes)."""
    write = Writer(random.Random(0))
    paragraphs, total = [], 0
    while total < MAX_BYTES:
        paragraph = write.paragraph(3, 6).replace("&", "and").replace("'", "")
        paragraphs.append(paragraph)
        total += len(paragraph) + _PARAGRAPH_MARKUP
    return tuple(paragraphs)


@lru_cache(maxsize=32)
def _paragraphs_for(size: int) -> tuple[str, ...]:
    """As many paragraphs as make the whole page about `size` bytes."""
    room = size - len(
        render_template("bench/page.html", title="A page from memory", paragraphs=()).encode()
    )
    chosen, used = [], 0
    for paragraph in _text():
        if used + len(paragraph) + _PARAGRAPH_MARKUP > room:
            break
        chosen.append(paragraph)
        used += len(paragraph) + _PARAGRAPH_MARKUP
    return tuple(chosen)


@bp.route("/page")
@access_public
def page():
    """About ?bytes= bytes of HTML (50,000 by default), rendered from memory."""
    size = min(max(request.args.get("bytes", 50_000, type=int) or 0, 0), MAX_BYTES)
    return render_template(
        "bench/page.html", title="A page from memory", paragraphs=_paragraphs_for(size)
    )
