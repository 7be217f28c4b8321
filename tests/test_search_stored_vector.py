"""The stored search vector on PostgreSQL, and the ranking rules search keeps on both
databases."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import event, text

from playbook.extensions import db
from playbook.library import search
from playbook.library.search import index_entry, search_library

needs_postgres = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="needs PostgreSQL (TEST_DATABASE_URL)",
)


def _vector(kind: str, ref_id: int) -> str:
    return db.session.execute(
        text("SELECT search_vector::text FROM search_document WHERE kind = :k AND ref_id = :r"),
        {"k": kind, "r": ref_id},
    ).scalar_one()


def _search_statements(query: str) -> list[tuple[str, object]]:
    """The SQL statements (with their parameters) one search sends."""
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        search_library(query)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sent


# --- PostgreSQL: the stored column ------------------------------------------------------


@pytest.mark.postgres_only
@needs_postgres
def test_search_vector_is_a_stored_generated_column_with_a_gin_index(app):
    column = db.session.execute(
        text(
            "SELECT data_type, is_generated FROM information_schema.columns "
            "WHERE table_name = 'search_document' AND column_name = 'search_vector'"
        )
    ).one()
    assert tuple(column) == ("tsvector", "ALWAYS")
    indexes = dict(
        db.session.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_document'")
        ).all()
    )
    assert "USING gin (search_vector)" in indexes["ix_search_document_search_vector"]
    # the expression index it replaced is gone: one full-text index to keep up
    assert not [definition for definition in indexes.values() if "to_tsvector" in definition]


@pytest.mark.postgres_only
@needs_postgres
def test_search_vector_follows_inserts_and_updates_of_title_and_body(app):
    index_entry("play", 1, "Walrus migration map", "Students chart the sea.")
    db.session.commit()
    vector = _vector("play", 1)
    assert "'walrus':1A" in vector and "'sea':" in vector and "B" in vector.split("'sea':")[1]

    index_entry("play", 1, "Narwhal tusk survey", "Students chart the sea.")
    db.session.commit()
    vector = _vector("play", 1)
    assert "walrus" not in vector and "'narwhal':1A" in vector

    index_entry("play", 1, "Narwhal tusk survey", "Counting icebergs.")
    db.session.commit()
    vector = _vector("play", 1)
    assert "'sea'" not in vector and "'iceberg':" in vector
    assert [hit.ref_id for hit in search_library("iceberg").hits] == [1]
    assert search_library("sea").total == 0


@pytest.mark.postgres_only
@needs_postgres
def test_search_reads_the_stored_vector_through_its_index(app):
    db.session.execute(
        text(
            "INSERT INTO search_document (kind, ref_id, title, body) "
            "SELECT 'resource', g, 'Filler resource ' || g, 'Plain words about nothing ' || g "
            "FROM generate_series(1, 5000) AS g"
        )
    )
    index_entry("play", 1, "Walrus migration map", "Students chart the sea.")
    db.session.commit()
    db.session.execute(text("ANALYZE search_document"))

    statements = _search_statements("walrus")
    assert statements and all("to_tsvector" not in sql for sql, _ in statements)
    sql, parameters = next((sql, p) for sql, p in statements if "ts_rank(" in sql)
    # On a table this small the planner may rightly prefer to read it all; with
    # sequential scans off it must show whether the index can serve the query at all,
    # which it could not if the query computed the vectors itself.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        row[0]
        for row in db.session.connection().exec_driver_sql("EXPLAIN " + sql, parameters).all()
    )
    assert "ix_search_document_search_vector" in plan, plan
    assert search_library("walrus").total == 1


# --- both databases: ranking and counting ---------------------------------------------------


@pytest.fixture(params=["bm25 over all matches", "title matches ranked first"])
def walrus_library(request, app, monkeypatch):
    """Sixty entries that mention walrus once in the body, then one with it in the title,
    made last so that a tie would list it last. On SQLite, searched both ways: with
    every match ranked at once, and (as for common words) with the title matches
    ranked on their own first."""
    if request.param == "title matches ranked first":
        monkeypatch.setattr(search, "RANK_ALL_UP_TO", 5)
    for i in range(60):
        index_entry(
            "resource",
            100 + i,
            f"Field notes {i}",
            f"Week {i}: the class watched a walrus and wrote about the ice and the sea.",
        )
    index_entry("play", 1, "Walrus migration map", "Students chart routes on a map of the sea.")
    db.session.commit()


def test_title_match_beats_many_body_only_matches(walrus_library):
    page = search_library("walrus")
    assert page.total == 61
    assert (page.hits[0].kind, page.hits[0].ref_id) == ("play", 1)


def test_title_match_beats_body_only_matches_of_every_word(walrus_library):
    page = search_library("walrus sea")
    assert page.total == 61
    assert (page.hits[0].kind, page.hits[0].ref_id) == ("play", 1)


@pytest.mark.parametrize("per_page", [20, 7, 1])
def test_pages_of_many_matches_list_each_entry_once_with_the_total(walrus_library, per_page):
    seen = []
    for number in range(1, 61 // per_page + 2):
        page = search_library("walrus", page=number, per_page=per_page)
        assert page.total == 61
        seen += [(hit.kind, hit.ref_id) for hit in page.hits]
    assert len(seen) == len(set(seen)) == 61
    assert seen[0] == ("play", 1)


def test_page_beyond_the_last_still_counts_every_match(walrus_library):
    page = search_library("walrus", page=50, per_page=20)
    assert page.hits == [] and page.total == 61


def test_kind_filter_counts_only_that_kind(walrus_library):
    assert search_library("walrus", kind="play").total == 1
    assert search_library("walrus", kind="resource").total == 60
    assert search_library("walrus", kind="framework").total == 0
    assert {hit.kind for hit in search_library("walrus", kind="resource").hits} == {"resource"}


def test_highlight_and_snippet_mark_the_matched_word(walrus_library):
    hit = search_library("walrus", kind="play").hits[0]
    assert hit.title == "\x02Walrus\x03 migration map"
    assert "\x02" not in hit.snippet  # the body of that play does not mention walrus
    body_hit = search_library("walrus", kind="resource").hits[0]
    assert "\x02walrus\x03" in body_hit.snippet


def test_only_people_who_may_build_playbooks_get_add_buttons_on_results(
    client, login, member, walrus_library
):
    visitor_page = client.get("/library/search?q=walrus").get_data(as_text=True)
    assert "add-to-playbook" not in visitor_page
    login(member)
    member_page = client.get("/library/search?q=walrus").get_data(as_text=True)
    assert member_page.count('class="button button-small add-to-playbook"') == 20
