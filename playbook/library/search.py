"""Full-text search over the library, behind one function.

SQLite uses the FTS5 index (bm25 ranking, highlight/snippet); PostgreSQL uses the
stored weighted tsvector through its GIN index, with ts_rank and ts_headline. Both
return the same shape."""

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


# SQLite: up to this many matches every one is ranked at once (bm25). Common words
# match thousands of entries, and scoring every one of them to fill a page was most
# of a search's time; so beyond it the matches with a query word in their title
# (which bm25 weighs well above a body's) are ranked first, on their own, and the
# body-only matches are ranked only for the pages after those. A title match thus
# always comes first. (PostgreSQL ranks title matches first always: _search_postgres.)
RANK_ALL_UP_TO = 500


def _title_first(count, ranked, every, titled, body_only, limit, offset):
    """One page of hits and the total, given `count(match)` and `ranked(match, limit,
    offset)` for the matches of all words (`every`), those with a word in the title
    (`titled`) and the rest (`body_only`)."""
    total = count(every)
    if offset >= total:  # nothing matched, or a page beyond the last
        return [], total
    if total <= RANK_ALL_UP_TO:
        return ranked(every, limit, offset), total
    hits = ranked(titled, limit, offset)
    if len(hits) < limit:  # the title matches end on this page: body-only ones follow
        titled_total = offset + len(hits) if hits else count(titled)
        hits += ranked(body_only, limit - len(hits), max(0, offset - titled_total))
    return hits, total


def _search_sqlite(terms, kinds, limit, offset):
    words = ['"' + t.replace('"', "") + '"*' for t in terms]
    every = " ".join(words)
    in_title = "{title} : (" + " OR ".join(words) + ")"
    return _title_first(
        lambda match: _count_sqlite(match, kinds),
        lambda match, limit, offset: _ranked_sqlite(match, kinds, limit, offset),
        every,
        f"({every}) AND {in_title}",
        f"({every}) NOT {in_title}",
        limit,
        offset,
    )


def _kind_filter(kinds) -> tuple[str, dict[str, str]]:
    if len(kinds) == len(KINDS):  # every indexed row is of one of the kinds
        return "", {}
    params = {f"k{i}": k for i, k in enumerate(kinds)}
    return f" AND d.kind IN ({', '.join(':' + name for name in params)})", params


def _count_sqlite(match, kinds) -> int:
    where, params = _kind_filter(kinds)
    join = " JOIN search_document d ON d.id = search_fts.rowid" if where else ""
    return db.session.execute(
        text(f"SELECT count(*) FROM search_fts{join} WHERE search_fts MATCH :match{where}"),  # nosec B608 - fixed SQL fragments only; values are bound
        {"match": match, **params},
    ).scalar_one()


def _ranked_sqlite(match, kinds, limit, offset) -> list[SearchHit]:
    where, params = _kind_filter(kinds)
    # Ranked by FTS5 itself (rank = bm25 with the title weighted 6 to 1): rows come out
    # in order, so highlight() and snippet() run only for the page, not every match.
    rows = db.session.execute(
        text(
            "SELECT d.kind, d.ref_id, highlight(search_fts, 0, :start, :end) AS title, "  # nosec B608 - fixed SQL fragments only; values are bound
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
    """One statement: the matches found through the GIN index, counted as they are
    ranked (a page beyond the last, which has no row to carry the count, counts
    again). Title matches come first whatever their number, each group ranked by
    ts_rank: ts_rank_cd (cover density) took several times as long to score the
    same rows, and with the title first the order within a group is all it decides."""
    every = " & ".join(f"{t}:*" for t in terms)
    in_title = " | ".join(f"{t}:*A" for t in terms)  # weight A: the title
    options = f"StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}"
    rows = db.session.execute(
        text(
            "SELECT page.total, d.kind, d.ref_id, "  # nosec B608 - fixed SQL fragments only; values are bound
            "ts_headline('english', d.title, query, :title_opts) AS title, "
            "ts_headline('english', d.body, query, :body_opts) AS snippet "
            "FROM (SELECT d.id, count(*) OVER () AS total, "
            "d.search_vector @@ in_title AS titled, ts_rank(d.search_vector, query) AS score "
            "FROM search_document d, to_tsquery('english', :query) AS query, "
            "to_tsquery('english', :in_title) AS in_title "
            f"WHERE d.search_vector @@ query{_postgres_kinds(kinds)} "
            "ORDER BY titled DESC, score DESC, d.id LIMIT :limit OFFSET :offset) AS page "
            "JOIN search_document d ON d.id = page.id, to_tsquery('english', :query) AS query "
            "ORDER BY page.titled DESC, page.score DESC, page.id"
        ),
        {
            "query": every,
            "in_title": in_title,
            "kinds": kinds,
            "limit": limit,
            "offset": offset,
            "title_opts": options + ", HighlightAll=true",
            "body_opts": options
            + ', MaxWords=40, MinWords=20, MaxFragments=2, FragmentDelimiter=" … "',
        },
    ).all()
    if not rows:
        return [], (_count_postgres(every, kinds) if offset else 0)
    return [SearchHit(*row[1:]) for row in rows], rows[0][0]


def _postgres_kinds(kinds) -> str:
    # every row is of one of the kinds: filter only to narrow
    return " AND d.kind = ANY(:kinds)" if len(kinds) < len(KINDS) else ""


def _count_postgres(match, kinds) -> int:
    return db.session.execute(
        text(
            "SELECT count(*) FROM search_document d, to_tsquery('english', :match) AS matching "  # nosec B608 - fixed SQL fragments only; values are bound
            "WHERE d.search_vector @@ matching" + _postgres_kinds(kinds)
        ),
        {"match": match, "kinds": kinds},
    ).scalar_one()


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
