"""flask generate-data at a small scale: the counts asked for, rows that refer to
rows that exist, a search index that finds what was generated, revisions that match
their playbooks, the benchmark playbook, the same data for the same seed, and a
clear refusal on a database that already has people in it."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timezone

import pytest
from sqlalchemy import func, select, text

from playbook import devdata
from playbook.extensions import db
from playbook.library import services as library_services
from playbook.library.search import search_library
from playbook.models import (
    Comment,
    CommentStatus,
    Flag,
    Item,
    ItemKind,
    MemberRole,
    Membership,
    ModerationAction,
    Play,
    Playbook,
    Resource,
    Revision,
    SearchDocument,
    Section,
    SiteRole,
    Submission,
    TargetKind,
    User,
    Visibility,
)
from playbook.playbooks import document
from playbook.playbooks.queries import load_playbook_page
from tests import factories

SMALL = [
    "--users",
    "30",
    "--resources",
    "60",
    "--plays",
    "10",
    "--frameworks",
    "1",
    "--playbooks",
    "12",
    "--items-per-playbook",
    "8",
    "--comments",
    "400",
    "--distinct-comments",
    "50",
    "--seed",
    "7",
]
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def generated(app, library, runner):
    result = runner.invoke(args=["generate-data", *SMALL])
    assert result.exit_code == 0, result.output
    match = re.search(r"Benchmark playbook: (\d+)", result.output)
    assert match, result.output
    return int(match.group(1))


def test_it_makes_the_counts_asked_for(generated):
    assert count(User) == 30
    assert count(Resource) == 12 + 60  # the starter library's twelve and the generated ones
    assert count(Play) == 28 + 10
    assert count(Playbook) == 12
    assert count(Item) == 50 + 11 * 8  # the benchmark playbook always has 50
    assert count(Comment) == 400
    assert (
        count(User, User.site_role == SiteRole.ADMIN) == 1
        and count(User, User.site_role == SiteRole.MODERATOR) >= 1
    )
    visibilities = set(db.session.scalars(select(Playbook.visibility)))
    assert Visibility.PUBLIC in visibilities and len(visibilities) >= 2
    statuses = set(db.session.scalars(select(Comment.status)))
    assert {CommentStatus.PUBLISHED, CommentStatus.PENDING} <= statuses
    assert count(Comment, Comment.parent_id.is_not(None)) > 0
    assert count(Flag) > 0 and count(ModerationAction) > 0 and count(Submission) > 0
    kinds = set(db.session.scalars(select(Comment.target_kind)))
    assert kinds == set(TargetKind)


def test_benchmark_playbook_has_50_items_and_100_published_comments(generated):
    playbook = db.session.get(Playbook, generated)
    assert playbook.title == devdata.BENCHMARK_TITLE
    assert playbook.visibility is Visibility.PUBLIC and playbook.deleted_at is None
    assert count(Item, Item.playbook_id == generated) == 50
    assert count(Comment, Comment.playbook_id == generated) == 100
    assert (
        count(
            Comment,
            Comment.playbook_id == generated,
            Comment.status == CommentStatus.PUBLISHED,
            Comment.deleted_at.is_(None),
        )
        == 100
    )
    assert count(Comment, Comment.playbook_id == generated, Comment.parent_id.is_not(None)) > 0


def test_every_row_refers_to_rows_that_exist(generated):
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
    for item in db.session.scalars(select(Item)):
        target = {
            ItemKind.PLAY: item.play,
            ItemKind.RESOURCE: item.resource,
            ItemKind.COMPONENT: item.component,
            ItemKind.NOTE: None,
        }[item.kind]
        assert (target is not None) == (item.kind is not ItemKind.NOTE), item.id
        assert [item.play_id, item.resource_id, item.component_id].count(None) == (
            3 if target is None else 2
        )
        assert item.section.playbook_id == item.playbook_id
        if item.owner_id is not None:
            assert count(
                Membership,
                Membership.playbook_id == item.playbook_id,
                Membership.user_id == item.owner_id,
            )
    for section in db.session.scalars(select(Section)):
        assert [i.position for i in section.items] == list(range(len(section.items)))
    for playbook in db.session.scalars(select(Playbook)):
        assert (
            count(
                Membership,
                Membership.playbook_id == playbook.id,
                Membership.role == MemberRole.OWNER,
            )
            >= 1
        )
        assert (
            playbook.forked_from_id is None
            or db.session.get(Playbook, playbook.forked_from_id) is not None
        )
    for comment in db.session.scalars(select(Comment).where(Comment.parent_id.is_not(None))):
        parent = db.session.get(Comment, comment.parent_id)
        assert parent.parent_id is None and parent.target_kind is comment.target_kind
        assert parent.target_id == comment.target_id and parent.created_at <= comment.created_at
    for comment in db.session.scalars(select(Comment).where(Comment.playbook_id.is_not(None))):
        playbook = db.session.get(Playbook, comment.playbook_id)
        if playbook.visibility is not Visibility.PUBLIC:  # team talk: members only, never queued
            assert count(
                Membership,
                Membership.playbook_id == playbook.id,
                Membership.user_id == comment.author_id,
            )
            assert comment.status is CommentStatus.PUBLISHED
    hidden = db.session.scalars(
        select(Comment.id).where(Comment.status == CommentStatus.HIDDEN)
    ).all()
    for comment_id in hidden:
        assert count(Flag, Flag.comment_id == comment_id) >= 3


def test_search_index_is_what_reindexing_gives(generated):
    def rows() -> set:
        columns = (
            SearchDocument.kind,
            SearchDocument.ref_id,
            SearchDocument.title,
            SearchDocument.body,
        )
        return set(db.session.execute(select(*columns)).all())

    generated_rows = rows()
    assert count(SearchDocument, SearchDocument.kind == "resource") == 72
    library_services.reindex_library()
    assert rows() == generated_rows


def test_search_finds_generated_resources(generated):
    resource = db.session.scalar(select(Resource).order_by(Resource.id.desc()).limit(1))
    words = [w for w in re.findall(r"[a-z]+", resource.title.lower()) if len(w) > 3][:2]
    page = search_library(" ".join(words), per_page=100)
    assert ("resource", resource.id) in {(hit.kind, hit.ref_id) for hit in page.hits}


def test_first_revision_is_a_faithful_snapshot(generated):
    for playbook_id in db.session.scalars(select(Playbook.id)):
        db.session.expire_all()
        playbook = load_playbook_page(playbook_id)
        revision = db.session.scalar(select(Revision).where(Revision.playbook_id == playbook_id))
        assert revision.number == playbook.version == 1
        assert revision.snapshot == document.snapshot(playbook)


def test_generated_pages_work(app, generated, client):
    page = client.get(f"/playbooks/{generated}")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('<li class="item status-') == 50
    resource = db.session.scalar(select(Resource.id).order_by(Resource.id.desc()).limit(1))
    assert client.get(f"/library/resources/{resource}").status_code == 200
    assert client.get("/gallery/").status_code == 200


def test_generated_people_can_sign_in_and_new_rows_get_fresh_ids(app, generated, client):
    from tests.helpers import csrf_token_from

    person = db.session.scalar(select(User).where(User.site_role == SiteRole.MEMBER).limit(1))
    form = client.get("/auth/login")
    response = client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token_from(form.get_data(as_text=True)),
            "email": person.email,
            "password": devdata.PASSWORD,
        },
    )
    assert response.status_code == 302
    assert person.display_name in client.get("/").get_data(as_text=True)
    # On PostgreSQL the id sequences were moved past the generated rows.
    newcomer = factories.make_user()
    assert newcomer.id == db.session.scalar(select(func.max(User.id)))


def _digest() -> str:
    parts = []
    for model, columns in (
        (User, (User.email, User.display_name)),
        (Resource, (Resource.title, Resource.url)),
        (Playbook, (Playbook.title, Playbook.visibility)),
        (Item, (Item.kind, Item.notes)),
        (Comment, (Comment.body, Comment.status, Comment.parent_id, Comment.created_at)),
    ):
        parts.extend(repr(row) for row in db.session.execute(select(*columns).order_by(model.id)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def test_same_seed_gives_the_same_data(app, library):
    from playbook.library.seed import seed_library

    scale = devdata.Scale(
        users=20,
        resources=30,
        plays=5,
        frameworks=1,
        playbooks=6,
        items_per_playbook=5,
        comments=150,
        distinct_comments=40,
        seed=3,
    )
    devdata.generate(scale, now=NOW)
    first = _digest()
    db.session.remove()
    db.drop_all()
    db.create_all()
    seed_library()
    devdata.generate(scale, now=NOW)
    assert _digest() == first
    db.session.remove()
    db.drop_all()
    db.create_all()
    seed_library()
    devdata.generate(devdata.Scale(**{**scale.__dict__, "seed": 4}), now=NOW)
    assert _digest() != first


def test_refuses_a_database_that_already_has_people(app, library, runner, member):
    result = runner.invoke(args=["generate-data", *SMALL])
    assert result.exit_code != 0
    assert "already holds 1 accounts" in result.output and "fresh database" in result.output
    assert count(Playbook) == 0 and count(Resource) == 12


def test_running_it_twice_adds_nothing_the_second_time(generated, runner):
    before = (count(User), count(Comment), count(Resource))
    result = runner.invoke(args=["generate-data", *SMALL])
    assert result.exit_code != 0 and "already holds" in result.output
    assert (count(User), count(Comment), count(Resource)) == before


def test_the_tables_are_left_vacuumed_and_analyzed(app, generated):
    """The planner knows the sizes after the bulk load; on PostgreSQL the visibility map
    is set too, so index-only scans read no table rows (as after autovacuum)."""
    if db.engine.dialect.name == "postgresql":
        vacuumed = db.session.execute(
            text(
                "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL "
                "FROM pg_stat_user_tables WHERE relname = 'comment'"
            )
        ).one()
        assert vacuumed == (True, True)
    else:
        assert db.session.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar() > 0
