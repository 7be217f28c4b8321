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


# Up to this many matches bm25 ranks them all in one go. Common words match thousands
# of entries, and scoring every one of them to fill a page was most of a search's
# time; so beyond it the matches with a query word in their title (which bm25 weighs
# six times a body's) are ranked first, on their own, and the body-only matches are
# ranked only for the pages after those. A title match thus always comes first.
RANK_ALL_UP_TO = 500


def _search_sqlite(terms, kinds, limit, offset):
    words = ['"' + t.replace('"', "") + '"*' for t in terms]
    match = " ".join(words)
    total = _count_sqlite(match, kinds)
    if offset >= total:  # nothing matched, or a page beyond the last
        return [], total
    if total <= RANK_ALL_UP_TO:
        return _ranked_sqlite(match, kinds, limit, offset), total
    in_title = "{title} : (" + " OR ".join(words) + ")"
    titled = f"({match}) AND {in_title}"
    hits = _ranked_sqlite(titled, kinds, limit, offset)
    if len(hits) < limit:  # the title matches end on this page: body-only ones follow
        titled_total = offset + len(hits) if hits else _count_sqlite(titled, kinds)
        hits += _ranked_sqlite(
            f"({match}) NOT {in_title}", kinds, limit - len(hits), max(0, offset - titled_total)
        )
    return hits, total


def _kind_filter(kinds) -> tuple[str, dict[str, str]]:
    if len(kinds) == len(KINDS):  # every indexed row is of one of the kinds
        return "", {}
    params = {f"k{i}": k for i, k in enumerate(kinds)}
    return f" AND d.kind IN ({', '.join(':' + name for name in params)})", params


def _count_sqlite(match, kinds) -> int:
    where, params = _kind_filter(kinds)
    join = " JOIN search_document d ON d.id = search_fts.rowid" if where else ""
    return db.session.execute(
        text(f"SELECT count(*) FROM search_fts{join} WHERE search_fts MATCH :match{where}"),
        {"match": match, **params},
    ).scalar_one()


def _ranked_sqlite(match, kinds, limit, offset) -> list[SearchHit]:
    where, params = _kind_filter(kinds)
    # Ranked by FTS5 itself (rank = bm25 with the title weighted 6 to 1): rows come out
    # in order, so highlight() and snippet() run only for the page, not every match.
    rows = db.session.execute(
        text(
            "SELECT d.kind, d.ref_id, highlight(search_fts, 0, :start, :end) AS title, "
            "snippet(search_fts, 1, :start, :end, '…', 28) AS snippet "
            "FROM search_fts JOIN search_document d ON d.id = search_fts.rowid "
            f"WHERE search_fts MATCH :match{where} "
            "AND rank MATCH 'bm25(6.0, 1.0)' ORDER BY rank LIMIT :limit OFFSET :offset"
        ),
        {
            "match": match,
            "start": HIGHLIGHT_START,
            "end": HIGHLIGHT_END,
            "limit": limit,
            "offset": offset,
            **params,
        },
    ).all()
    return [SearchHit(*row) for row in rows]


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
