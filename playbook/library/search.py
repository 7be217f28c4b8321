"""Full-text search over the library, behind one function.

SQLite uses the FTS5 index (bm25 ranking, highlight/snippet); PostgreSQL uses the
stored weighted tsvector with ts_rank_cd and ts_headline. Both return the same shape."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, select, text

from playbook.extensions import db
from playbook.models import SearchDocument
from playbook.sanitize import HIGHLIGHT_END, HIGHLIGHT_START

MAX_TERMS = 8
KINDS = ("play", "resource", "framework", "component")


@dataclass(frozen=True)
class SearchHit:
    kind: str
    ref_id: int
    title: str  # with highlight markers; render through the `highlight` filter
    snippet: str


@dataclass(frozen=True)
class SearchPage:
    query: str
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_terms(query: str) -> list[str]:
    """The words of a query, lower-cased, without operators or punctuation."""
    words = re.findall(r"[^\W_]+", (query or "").lower())
    return [w[:40] for w in words][:MAX_TERMS]


def search_library(
    query: str, page: int = 1, per_page: int = 20, kind: str | None = None
) -> SearchPage:
    """Ranked matches for every word of `query` (each word also matches as a prefix)."""
    terms = search_terms(query)
    page = max(1, page)
    if not terms:
        return SearchPage(query, [], 0, page, per_page)
    kinds = [kind] if kind in KINDS else list(KINDS)
    run = _search_sqlite if db.engine.dialect.name == "sqlite" else _search_postgres
    hits, total = run(terms, kinds, per_page, (page - 1) * per_page)
    return SearchPage(query, hits, total, page, per_page)


def _search_sqlite(terms, kinds, limit, offset):
    match = " ".join('"' + t.replace('"', "") + '"*' for t in terms)
    kind_params = {f"k{i}": k for i, k in enumerate(kinds)}
    kind_list = ", ".join(f":k{i}" for i in range(len(kinds)))
    base = f"FROM search_fts JOIN search_document d ON d.id = search_fts.rowid WHERE search_fts MATCH :match AND d.kind IN ({kind_list})"
    params = {
        "match": match,
        "start": HIGHLIGHT_START,
        "end": HIGHLIGHT_END,
        "limit": limit,
        "offset": offset,
        **kind_params,
    }
    # Ranked by FTS5 itself (rank = bm25 with the title weighted 6 to 1): rows come out
    # in order, so highlight() and snippet() run only for the page, not every match.
    rows = db.session.execute(
        text(
            "SELECT d.kind, d.ref_id, highlight(search_fts, 0, :start, :end) AS title, "
            "snippet(search_fts, 1, :start, :end, '…', 28) AS snippet "
            f"{base} AND rank MATCH 'bm25(6.0, 1.0)' ORDER BY rank LIMIT :limit OFFSET :offset"
        ),
        params,
    ).all()
    if len(kinds) == len(
        KINDS
    ):  # every indexed row is of one of the kinds: no join needed to count
        total = db.session.execute(
            text("SELECT count(*) FROM search_fts WHERE search_fts MATCH :match"), params
        ).scalar_one()
    else:
        total = db.session.execute(text(f"SELECT count(*) {base}"), params).scalar_one()
    return [SearchHit(*row) for row in rows], total


def _search_postgres(terms, kinds, limit, offset):
    tsquery = " & ".join(f"{t}:*" for t in terms)
    options = f"StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}"
    params = {
        "q": tsquery,
        "kinds": kinds,
        "limit": limit,
        "offset": offset,
        "title_opts": options + ", HighlightAll=true",
        "body_opts": options
        + ', MaxWords=40, MinWords=20, MaxFragments=2, FragmentDelimiter=" … "',
    }
    # The stored search_vector (models/search.py) is matched through its GIN index and
    # ranked as it is, with no text parsed again; the count rides along as a window
    # over the same matches. Only the page's rows are read for their headlines.
    base = (
        "FROM search_document d, to_tsquery('english', :q) AS query WHERE d.search_vector @@ query"
    )
    if len(kinds) < len(KINDS):  # every row is of one of the kinds: filter only to narrow
        base += " AND d.kind = ANY(:kinds)"
    rows = db.session.execute(
        text(
            "SELECT d.kind, d.ref_id, ts_headline('english', d.title, page.query, :title_opts) AS title, "
            "ts_headline('english', d.body, page.query, :body_opts) AS snippet, page.total "
            "FROM (SELECT d.id, query, ts_rank_cd(d.search_vector, query) AS score, count(*) OVER () AS total "
            f"{base} ORDER BY score DESC, d.id LIMIT :limit OFFSET :offset) AS page "
            "JOIN search_document d ON d.id = page.id ORDER BY page.score DESC, page.id"
        ),
        params,
    ).all()
    if rows:
        total = rows[0].total
    else:  # no match, or a page beyond the last: count on its own
        total = db.session.execute(text(f"SELECT count(*) {base}"), params).scalar_one()
    return [SearchHit(*row[:4]) for row in rows], total


def index_entry(kind: str, ref_id: int, title: str, body: str) -> None:
    """Insert or refresh the search row for one library entry (not committed)."""
    row = db.session.scalar(
        select(SearchDocument).where(SearchDocument.kind == kind, SearchDocument.ref_id == ref_id)
    )
    if row is None:
        db.session.add(SearchDocument(kind=kind, ref_id=ref_id, title=title[:300], body=body))
    else:
        row.title, row.body = title[:300], body


def unindex_entry(kind: str, ref_id: int) -> None:
    """Remove one library entry from the search index (not committed)."""
    db.session.execute(
        delete(SearchDocument).where(SearchDocument.kind == kind, SearchDocument.ref_id == ref_id)
    )


def clear_index() -> None:
    """Empty the search index, before it is rebuilt (not committed)."""
    db.session.execute(delete(SearchDocument))
