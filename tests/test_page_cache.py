"""The visitors' page cache (playbook/pagecache.py): a page is sent again only while
nothing visitors can see has changed, whoever or whatever changed it, in whichever
worker; signed-in people and browsers with a session never get a stored page."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from playbook import create_app
from playbook.comments import services as comments
from playbook.database import count_statements
from playbook.extensions import db
from playbook.models import (
    Comment,
    Component,
    FlagReason,
    Framework,
    Play,
    Playbook,
    Resource,
    SiteState,
    SubjectKind,
    TargetKind,
    User,
)
from playbook.models.moderation import Decision
from playbook.moderation import services as moderation
from playbook.pagecache import PageCache, current_generation, writes_content
from playbook.playbooks import sharing
from tests import factories
from tests import factories as pf
from tests.factories import PASSWORD
from tests.helpers import csrf_token_from


@pytest.fixture
def visitor(app):
    return app.test_client(use_cookies=False)


@pytest.fixture
def public_playbook(app, library, member):
    playbook = pf.make_playbook(
        member, 8, framework=pf.seeded_framework(), title="Cached in public"
    )
    sharing.set_visibility(member, pf.reload(playbook.id), "public")
    return pf.reload(playbook.id)


def _generation() -> int:
    db.session.rollback()
    return db.session.scalar(select(SiteState.content_generation))


def _statements(client, url: str) -> tuple[int, str]:
    with count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements), response.get_data(as_text=True)


# --- the store -------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_store_keeps_pages_of_the_current_generation_only():
    cache = PageCache(max_bytes=10_000, max_age=60)
    assert cache.get("/a", 1) is None
    cache.put("/a", 1, b"page a", "text/html")
    assert cache.get("/a", 1).body == b"page a"
    assert cache.get("/a", 2) is None  # a newer generation retires every page
    assert cache.get("/a", 1) is None  # and an older one does not bring them back
    cache.get("/b", 3)
    cache.put("/b", 2, b"rendered under an older generation", "text/html")
    assert cache.get("/b", 3) is None and cache.size == 0


def test_store_forgets_pages_older_than_max_age():
    clock = Clock()
    cache = PageCache(max_bytes=10_000, max_age=60, clock=clock)
    cache.get("/a", 1)
    cache.put("/a", 1, b"page", "text/html")
    clock.now += 59
    assert cache.get("/a", 1) is not None
    clock.now += 2
    assert cache.get("/a", 1) is None and cache.size == 0


def test_store_stays_within_its_byte_budget_dropping_the_least_recently_used():
    cache = PageCache(max_bytes=3 * (1000 + 2 + 200), max_age=60)
    cache.get("/0", 1)
    for n in range(3):
        cache.put(f"/{n}", 1, b"x" * 1000, "text/html")
    cache.get("/0", 1)  # used again: now the most recent
    cache.put("/3", 1, b"x" * 1000, "text/html")
    assert cache.size <= cache.max_bytes
    assert cache.get("/1", 1) is None
    assert all(cache.get(key, 1) is not None for key in ("/0", "/2", "/3"))
    cache.put("/huge", 1, b"x" * 10_000, "text/html")
    assert cache.get("/huge", 1) is None and cache.size <= cache.max_bytes


@pytest.mark.parametrize(
    "statement, public",
    [
        ("INSERT INTO comment (body) VALUES (?)", True),
        ("UPDATE playbook SET title=%(title)s WHERE playbook.id = %(id)s", True),
        ("DELETE FROM item WHERE item.id = ?", True),
        ('UPDATE "user" SET display_name=? WHERE "user".id = ?', True),
        ("INSERT OR REPLACE INTO search_document (title) VALUES (?)", True),
        ("  update Play set title = ?", True),
        ("REPLACE INTO play (id, title) VALUES (?, ?)", True),
        ("WITH picked AS (SELECT 1) INSERT INTO item (id) SELECT * FROM picked", True),
        ("/* a hint */ UPDATE playbook SET title = ?", True),
        ("-- a note\nDELETE FROM comment WHERE id = ?", True),
        ("MERGE INTO play USING x ON true WHEN MATCHED THEN DELETE", True),
        ("TRUNCATE play", True),
        ("SOMETHING NEW", True),  # what it cannot classify counts as a write
        ("UPDATE OR IGNORE login_session SET last_seen_at = ?", False),
        ("SAVEPOINT sa_savepoint_1", False),
        (
            "CREATE INDEX ix_x ON play (title)",
            False,
        ),  # schema: migrations set a generation when done
        ("RELEASE SAVEPOINT sa_savepoint_1", False),
        ("INSERT INTO login_session (token_hash) VALUES (?)", False),
        ("DELETE FROM auth_attempt WHERE created_at < ?", False),
        ("INSERT INTO notification (user_id) VALUES (?)", False),
        ("INSERT INTO outgoing_mail (recipient) VALUES (?)", False),
        ("UPDATE site_state SET content_generation = 5", False),
        ("SELECT * FROM playbook", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
    ],
)
def test_which_statements_change_what_visitors_see(statement, public):
    assert writes_content(statement) is public


# --- the generation in the database ---------------------------------------------------------


def test_a_committed_write_changes_the_generation_and_a_rollback_does_not(app, library):
    before = _generation()
    db.session.execute(update(Play).where(Play.id == 1).values(title="Rolled back"))
    db.session.rollback()
    assert _generation() == before
    db.session.execute(update(Play).where(Play.id == 1).values(title="Committed"))
    db.session.commit()
    assert _generation() != before


def test_a_write_behind_a_common_table_expression_changes_the_generation(app, library):
    before = _generation()
    db.session.execute(
        text(
            "WITH renamed AS (SELECT 'Behind a CTE' AS title) "
            "UPDATE play SET title = (SELECT title FROM renamed) WHERE id = 1"
        )
    )
    db.session.commit()
    assert _generation() != before


def test_a_failed_bump_is_a_database_error_and_writes_go_on_without_the_table(app, library):
    """The bump runs inside the commit: its failure must reach the app as SQLAlchemy's
    DBAPIError (a lost database answers 503), and a database without site_state
    (mid-downgrade) must still take writes."""
    db.session.execute(update(Play).where(Play.id == 1).values(title="Seen the table"))
    db.session.commit()
    db.session.execute(text("DROP TABLE site_state"))
    db.session.commit()
    db.session.execute(update(Play).where(Play.id == 1).values(title="Table gone"))
    with pytest.raises(DBAPIError):
        db.session.commit()
    db.session.rollback()
    db.session.execute(update(Play).where(Play.id == 1).values(title="Written anyway"))
    db.session.commit()
    assert db.session.get(Play, 1).title == "Written anyway"


def test_writes_to_private_bookkeeping_leave_the_generation_alone(app, client, member):
    before = _generation()
    page = client.get("/auth/login")
    client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "email": member.email,
            "password": "a wrong password",
        },
    )
    client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "email": member.email,
            "password": PASSWORD,
        },
    )
    assert client.get("/notifications/").status_code == 200
    assert _generation() == before


# --- pages ------------------------------------------------------------------------------


def test_a_visitor_gets_the_stored_page_with_a_single_statement(visitor, public_playbook):
    url = f"/playbooks/{public_playbook.id}"
    rendered, first = _statements(visitor, url)
    stored, again = _statements(visitor, url)
    assert rendered > 1 and stored == 1
    assert again == first
    response = visitor.get(url)
    assert response.headers["Content-Security-Policy"] and response.get_etag()[0]
    assert visitor.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_every_public_page_is_served_again_from_the_store(app, visitor, public_playbook):
    play = db.session.scalar(select(Play.id).order_by(Play.id))
    first = lambda model: db.session.scalar(select(model.id).order_by(model.id))  # noqa: E731
    for url in [
        "/",
        "/library/",
        "/library/plays/",
        f"/library/plays/{play}",
        "/library/resources/",
        f"/library/resources/{first(Resource)}",
        "/library/frameworks/",
        f"/library/frameworks/{first(Framework)}",
        f"/library/components/{first(Component)}",
        "/library/search?q=voice",
        "/gallery/",
        f"/playbooks/{public_playbook.id}",
    ]:
        _, first = _statements(visitor, url)
        count, again = _statements(visitor, url)
        assert count == 1 and again == first, url


def test_a_stored_page_is_rendered_again_after_its_configured_lifetime(
    app, visitor, public_playbook
):
    cache = app.extensions["page_cache"]
    assert cache.max_age == app.config["PLAYBOOK_PAGE_CACHE_SECONDS"] == 60
    clock = Clock()
    cache.clock = clock
    url = f"/playbooks/{public_playbook.id}"
    visitor.get(url)
    clock.now += 59
    assert _statements(visitor, url)[0] == 1
    clock.now += 2
    assert _statements(visitor, url)[0] > 1


def test_an_edit_by_the_team_shows_at_once(visitor, member, public_playbook):
    url = f"/playbooks/{public_playbook.id}"
    visitor.get(url)
    pf.add_note(member, public_playbook.id, title="Added after the visit")
    assert "Added after the visit" in visitor.get(url).get_data(as_text=True)


def test_a_playbook_made_private_is_gone_for_visitors_at_once(visitor, member, public_playbook):
    url = f"/playbooks/{public_playbook.id}"
    assert visitor.get(url).status_code == 200
    assert "Cached in public" in visitor.get("/gallery/").get_data(as_text=True)
    sharing.set_visibility(member, pf.reload(public_playbook.id), "private")
    assert visitor.get(url).status_code == 404
    assert "Cached in public" not in visitor.get("/gallery/").get_data(as_text=True)


def test_a_comment_shows_when_a_moderator_approves_it_and_goes_when_hidden(
    app, visitor, make_user, moderator, public_playbook
):
    url = f"/playbooks/{public_playbook.id}"
    newcomer = make_user(display_name="Nell Newcomer")
    comment = comments.post_comment(
        newcomer,
        TargetKind.PLAYBOOK,
        pf.reload(public_playbook.id),
        "Our school tried this with **student-led** conferences.",
    )
    assert "student-led" not in visitor.get(url).get_data(as_text=True)  # held: stored without it
    moderation.decide(moderator, [(SubjectKind.COMMENT, comment.id)], Decision.APPROVE)
    assert "student-led" in visitor.get(url).get_data(as_text=True)
    comment = db.session.get(Comment, comment.id)
    for flagger in [make_user() for _ in range(app.config["PLAYBOOK_FLAGS_TO_HIDE"])]:
        comments.flag_comment(flagger, db.session.get(Comment, comment.id), FlagReason.SPAM)
    assert "student-led" not in visitor.get(url).get_data(as_text=True)


def test_a_library_edit_shows_on_every_page_that_names_it(visitor, admin, public_playbook):
    item_play = db.session.scalar(
        select(Play).where(
            Play.id.in_(
                [
                    i.play_id
                    for s in pf.reload(public_playbook.id).sections
                    for i in s.items
                    if i.play_id
                ]
            )
        )
    )
    pages = [
        f"/playbooks/{public_playbook.id}",
        f"/library/plays/{item_play.id}",
        "/library/plays/",
    ]
    for url in pages:
        visitor.get(url)
    item_play.title = "A renamed play"
    db.session.commit()
    for url in pages:
        assert "A renamed play" in visitor.get(url).get_data(as_text=True), url


def test_a_renamed_member_shows_on_their_comments(visitor, moderator, public_playbook):
    comments.post_comment(
        moderator, TargetKind.PLAYBOOK, pf.reload(public_playbook.id), "Moderators post at once."
    )
    url = f"/playbooks/{public_playbook.id}"
    assert "Mona Moderator" in visitor.get(url).get_data(as_text=True)
    db.session.execute(
        update(User).where(User.id == moderator.id).values(display_name="Mona Renamed")
    )
    db.session.commit()
    assert "Mona Renamed" in visitor.get(url).get_data(as_text=True)


def test_signed_in_people_never_get_a_visitors_page_nor_leave_theirs(
    app, visitor, client, login, member, public_playbook
):
    url = f"/playbooks/{public_playbook.id}"
    visitors_page = visitor.get(url).get_data(as_text=True)
    assert "Edit details" not in visitors_page
    login(member)
    with count_statements() as statements:
        owners_page = client.get(url).get_data(as_text=True)
    assert len(statements) > 1 and "Edit details" in owners_page and "csrf_token" in owners_page
    assert "Edit details" not in visitor.get(url).get_data(as_text=True)


def test_a_browser_with_a_session_is_neither_served_nor_stored(
    app, visitor, client, member, public_playbook
):
    url = f"/playbooks/{public_playbook.id}"
    page = client.get("/auth/login")  # the browser now holds a session (its CSRF token)
    assert "Set-Cookie" in page.headers
    for _ in range(2):
        count, _ = _statements(client, url)
        assert count > 1
    assert not app.extensions["page_cache"].pages
    visitor.get(url)
    assert app.extensions["page_cache"].pages
    count, _ = _statements(client, url)
    assert count > 1


def test_a_secret_link_page_is_never_stored(app, member):
    playbook = pf.make_playbook(member, 2, title="Shared by a secret link")
    token = sharing.set_visibility(member, pf.reload(playbook.id), "link")
    holder = app.test_client()
    holder.get(f"/playbooks/{playbook.id}/s/{token}")
    assert "Shared by a secret link" in holder.get(f"/playbooks/{playbook.id}").get_data(
        as_text=True
    )
    assert app.test_client(use_cookies=False).get(f"/playbooks/{playbook.id}").status_code == 404


def test_pages_are_stored_per_address(visitor, public_playbook):
    first = visitor.get("/library/search?q=voice").get_data(as_text=True)
    other = visitor.get("/library/search?q=rubric").get_data(as_text=True)
    assert first != other
    assert visitor.get("/library/search?q=voice").get_data(as_text=True) == first


def test_errors_are_not_stored(app, visitor):
    assert visitor.get("/playbooks/999999").status_code == 404
    assert not app.extensions["page_cache"].pages


def test_cache_can_be_turned_off(app, library):
    plain = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PLAYBOOK_PAGE_CACHE_BYTES": 0,
        }
    )
    assert "page_cache" not in plain.extensions


def test_another_worker_sees_a_change_at_once(tmp_path):
    """Two app instances on one database, as two gunicorn workers are: a page one of
    them stored is never sent after the other one changed what it shows."""
    url = os.environ.get("TEST_DATABASE_URL")
    url = (
        ("postgresql+psycopg://" + url.split("://", 1)[1])
        if url
        else f"sqlite:///{tmp_path / 'shared.sqlite'}"
    )
    first, second = (create_app({"SQLALCHEMY_DATABASE_URI": url}) for _ in range(2))
    with first.app_context():
        db.drop_all()
        db.create_all()
        owner = factories.make_user(display_name="Wendy Worker")
        playbook = pf.make_playbook(owner, 1, title="Before the change")
        sharing.set_visibility(owner, pf.reload(playbook.id), "public")
        playbook_id, owner_id = playbook.id, owner.id
    try:
        page = f"/playbooks/{playbook_id}"
        with first.app_context():
            reader = first.test_client(use_cookies=False)
            assert "Before the change" in reader.get(page).get_data(as_text=True)
            assert "Before the change" in reader.get(page).get_data(as_text=True)
            assert first.extensions["page_cache"].hits == 1
        with second.app_context():
            playbook = db.session.get(Playbook, playbook_id)
            playbook.title = "After the change"
            playbook.version += 1
            db.session.commit()
            assert (
                current_generation() is not None
                and db.session.get(Playbook, playbook_id).created_by_id == owner_id
            )
        with first.app_context():
            assert "After the change" in first.test_client(use_cookies=False).get(page).get_data(
                as_text=True
            )
    finally:
        with first.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
        with second.app_context():
            db.session.remove()
            db.engine.dispose()
