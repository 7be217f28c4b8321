"""The migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from playbook import create_app
from playbook.extensions import db
from playbook.library.search import search_library
from playbook.library.seed import seed_library
from playbook.models.search import include_in_schema_comparison


@pytest.fixture
def empty_app(tmp_path):
    """An app on an empty database: a temporary SQLite file, or the PostgreSQL test
    database emptied first."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/migrations.sqlite"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        _empty(app)
        yield app
        db.session.remove()
        _empty(app)
        db.engine.dispose()


def _empty(app):
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_in_schema_comparison}
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_on_empty_database_gives_exactly_the_models_schema(empty_app):
    upgrade()
    assert _differences() == []


def test_migrated_database_can_be_seeded_and_searched(empty_app):
    upgrade()
    seed_library()
    results = search_library("learner profile")
    assert results.total >= 1
    assert any("profile" in hit.title.lower() for hit in results.hits)


def test_downgrade_to_base_removes_every_table(empty_app):
    upgrade()
    downgrade(revision="base")
    remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()


def test_upgrading_a_database_with_data_keeps_every_row(empty_app):
    """Later migrations alter tables that others refer to; on SQLite that means a
    table rebuild, which must not cascade-delete the referring rows."""
    upgrade(revision="38301f576b2a")
    statements = [
        'INSERT INTO "user" (id, email, display_name, organization, role_title, password_hash, site_role, '
        "is_active_account, password_changed_at, created_at, updated_at) VALUES (1, 'a@b.org', 'A', '', '', 'x', "
        "'member', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO playbook (id, title, scope, organization, vision, vision_html, visibility, version, "
        "created_at, updated_at) VALUES (1, 'P', 'school', '', '', '', 'private', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO membership (id, playbook_id, user_id, role, created_at, updated_at) "
        "VALUES (1, 1, 1, 'owner', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO section (id, playbook_id, position, title) VALUES (1, 1, 0, 'Our plays')",
        "INSERT INTO item (id, playbook_id, section_id, position, kind, title, notes, notes_html, status, "
        "created_at, updated_at) VALUES (1, 1, 1, 0, 'note', 'N', '', '', 'idea', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    ]
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    upgrade()
    with db.engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("membership", "section", "item", "playbook")
        }
    assert counts == {"membership": 1, "section": 1, "item": 1, "playbook": 1}


def test_upgrade_ends_with_a_new_content_generation(empty_app):
    """Workers still running during an upgrade must not keep sending pages of the data
    as it was: the migrations finish by setting a new content generation."""
    upgrade(revision="5ac1132d4a5c")
    with db.engine.connect() as connection:
        first = connection.execute(text("SELECT content_generation FROM site_state")).scalar_one()
    upgrade(revision="5ac1132d4a5c")  # nothing to do, and still a new generation
    with db.engine.connect() as connection:
        again = connection.execute(text("SELECT content_generation FROM site_state")).scalar_one()
    assert first != 0 and again != first


def test_search_word_prefix_indexes_come_and_go_with_the_library_still_found(empty_app):
    """The migration that gives SQLite's FTS5 table its prefix indexes makes the table
    again: what was indexed before is found the same after it, and after its downgrade."""
    upgrade(revision="7c3d9e2a5b16")
    seed_library()
    db.session.commit()
    before = search_library("learn prof")
    assert before.total >= 1

    def fts_sql():
        return db.session.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'search_fts'")
        ).scalar()

    upgrade()
    after = search_library("learn prof")
    assert (after.total, after.hits) == (before.total, before.hits)
    if db.engine.dialect.name == "sqlite":
        assert "prefix='2 3 4 5 6 7 8 9 10'" in fts_sql()
    downgrade(revision="7c3d9e2a5b16")
    assert search_library("learn prof").total == before.total
    if db.engine.dialect.name == "sqlite":
        assert "prefix" not in fts_sql()
