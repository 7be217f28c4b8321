"""Revisions, comparing and restoring, stale-version conflicts, forks and the bin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from playbook.extensions import db
from playbook.models import Item, MemberRole, Membership, Playbook, Revision, Section, utcnow
from playbook.playbooks import forks, services
from tests.factories import (
    add_members,
    add_note,
    latest_revision,
    make_playbook,
    playbook_count,
    reload,
    revision_count,
    seeded_framework,
    state_of,
)
from tests.helpers import check_page, form_posting_to, get_page, post_change, race, token_for

CONFLICT = "Someone changed this playbook meanwhile"


def _detail(client, playbook_id: int) -> str:
    return get_page(client, "playbooks.detail", playbook_id=playbook_id).get_data(as_text=True)


def _revisions(playbook_id: int) -> list[Revision]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Revision).where(Revision.playbook_id == playbook_id).order_by(Revision.number)
        )
    )


# --- every change is a revision ------------------------------------------------------


def test_each_change_adds_one_revision_numbered_as_the_version(client, login, member, library):
    playbook = make_playbook(member, title="District plan")
    pid = playbook.id
    login(member)
    steps = []

    def step(url, data, summary, **kwargs):
        before = revision_count(pid)
        response = post_change(client, pid, url, data, **kwargs)
        assert response.status_code == 302, (url, response.status_code)
        revision = latest_revision(pid)
        assert revision_count(pid) == before + 1, summary
        assert revision.number == reload(pid).version == before + 1
        assert (revision.summary, revision.actor_id) == (summary, member.id)
        steps.append(summary)

    step(
        f"/playbooks/{pid}/edit",
        {
            "title": "District plan",
            "scope": "district",
            "organization": "",
            "vision": "v",
            "framework_id": str(seeded_framework().id),
        },
        "Edited the title, vision and details",
    )
    step(f"/playbooks/{pid}/sections", {"title": "Family"}, "Added the section “Family”")
    family = reload(pid).sections[-1].id
    step(
        f"/playbooks/{pid}/sections/{family}/edit",
        {"title": "Families"},
        "Renamed the section “Family” to “Families”",
    )
    step(
        f"/playbooks/{pid}/sections/{reload(pid).sections[0].id}/notes/new",
        {"title": "Kickoff"},
        "Added “Kickoff” to “Our definition”",
    )
    item = reload(pid).sections[0].items[0].id
    step(
        f"/playbooks/{pid}/items/{item}/edit",
        {"title": "Kickoff", "notes": "Tuesday", "status": "planned"},
        "Edited “Kickoff”",
    )
    step(
        f"/playbooks/{pid}/items/{item}/move",
        {"position": "0", "section_id": str(family)},
        "Moved “Kickoff” from “Our definition” to “Families”",
    )
    step(
        f"/playbooks/{pid}/sections/{family}/move",
        {"position": "0"},
        "Moved the section “Families”",
    )
    step(f"/playbooks/{pid}/items/{item}/delete", {}, "Removed “Kickoff” from “Families”")
    step(
        f"/playbooks/{pid}/sections/{family}/delete", {}, "Removed the section “Families” (0 items)"
    )
    step(f"/playbooks/{pid}/history/5/restore", {}, "Restored version 5")

    html = get_page(client, "playbooks.history_index", playbook_id=pid).get_data(as_text=True)
    rows = re.findall(
        r"<tr>\s*<td><a href=\"/playbooks/\d+/history/(\d+)\">\d+</a>(.*?)</td>\s*<td>(.*?)</td>"
        r"\s*<td>(.*?)</td>",
        html,
        re.S,
    )
    assert [int(number) for number, *_ in rows] == list(range(11, 0, -1))  # newest first
    assert [summary for _, _, summary, _ in rows] == list(
        reversed(["Created the playbook", *steps])
    )
    assert {who for *_, who in rows} == {"Maria Member"}
    assert "current" in rows[0][1] and "current" not in rows[1][1]
    assert "Compare the chosen versions" in html


def test_revision_page_shows_the_document_and_offers_restore(client, login, member):
    playbook = make_playbook(member, title="Plan")
    add_note(member, playbook.id, title="First note")
    login(member)
    html = get_page(client, "playbooks.revision", playbook_id=playbook.id, number=1).get_data(
        as_text=True
    )
    assert "Version 1" in html and "Created the playbook" in html and "# Plan" in html
    assert "First note" not in html
    assert f'action="/playbooks/{playbook.id}/history/1/restore"' in html
    assert "/history/compare?from=1&amp;to=2" in html
    current = get_page(client, "playbooks.revision", playbook_id=playbook.id, number=2).get_data(
        as_text=True
    )
    assert "This is the current version." in current and "/restore" not in current
    assert "### First note (Note)" in current


def test_compare_shows_inserted_and_removed_lines(client, login, member):
    playbook = make_playbook(member)
    add_note(member, playbook.id, 1, title="Peer tutoring", notes="Pairs on Fridays.")
    item = add_note(member, playbook.id, 2, title="Exit tickets")
    p = reload(playbook.id)
    services.remove_item(
        member, p, next(i for i in p.sections[2].items if i.id == item.id), base_version=p.version
    )
    login(member)
    html = client.get(f"/playbooks/{playbook.id}/history/compare?from=1&to=4").get_data(
        as_text=True
    )
    assert "Version 1 and version 4" in html
    inserted = " ".join(re.findall(r"<ins>(.*?)</ins>", html, re.S))
    assert "### Peer tutoring (Note)" in inserted and "Pairs on Fridays." in inserted
    assert "Exit tickets" not in html  # added and removed between the two
    html = client.get(f"/playbooks/{playbook.id}/history/compare?from=3&to=4").get_data(
        as_text=True
    )
    removed = " ".join(re.findall(r"<del>(.*?)</del>", html, re.S))
    assert "### Exit tickets (Note)" in removed
    assert "<ins>" not in html.split("<tbody>")[1].replace("<ins>_Nothing here yet._", "")
    same = client.get(f"/playbooks/{playbook.id}/history/compare?from=2&to=2").get_data(
        as_text=True
    )
    assert "These two versions are the same." in same
    default_to = client.get(f"/playbooks/{playbook.id}/history/compare?from=3").get_data(
        as_text=True
    )
    assert "Version 3 and version 4" in default_to


@pytest.mark.parametrize(
    "url",
    [
        "/history/99",
        "/history/0",
        "/history/compare?from=99",
        "/history/compare?from=1&to=99",
        "/history/compare",
        "/history/compare?from=x",
    ],
)
def test_revisions_that_do_not_exist_are_404(client, login, member, url):
    playbook = make_playbook(member)
    login(member)
    assert client.get(f"/playbooks/{playbook.id}{url}").status_code == 404


def test_restoring_a_version_that_does_not_exist_is_404(client, login, member):
    playbook = make_playbook(member)
    before = state_of(playbook.id)
    login(member)
    assert (
        post_change(client, playbook.id, f"/playbooks/{playbook.id}/history/7/restore").status_code
        == 404
    )
    assert state_of(playbook.id) == before


def test_restore_brings_back_a_removed_item_as_a_new_revision(client, login, member, library):
    framework = seeded_framework()
    element = framework.components[0].elements[0]
    playbook = make_playbook(member, framework=framework)
    item = add_note(member, playbook.id, 1, title="Student-led conferences", notes="In **spring**.")
    p = reload(playbook.id)
    kept = next(i for i in p.sections[1].items if i.id == item.id)
    services.update_item(
        member,
        p,
        kept,
        base_version=p.version,
        title=kept.title,
        notes=kept.notes,
        status="adopted",
        owner_id=member.id,
        target_date=None,
        element_id=element.id,
    )
    good_version = reload(playbook.id).version  # 3
    p = reload(playbook.id)
    services.remove_item(member, p, p.sections[1].items[0], base_version=p.version)
    assert reload(playbook.id).sections[1].items == []
    login(member)
    url = f"/playbooks/{playbook.id}/history/{good_version}/restore"
    page = client.get(f"/playbooks/{playbook.id}/history/{good_version}").get_data(as_text=True)
    response = client.post(url, data=form_posting_to(page, url), follow_redirects=True)
    assert response.status_code == 200
    assert f"Restored version {good_version}." in response.get_data(as_text=True)
    p = reload(playbook.id)
    [back] = p.sections[1].items
    assert (back.title, back.notes, back.status.value, back.owner_id, back.element_id) == (
        "Student-led conferences",
        "In **spring**.",
        "adopted",
        member.id,
        element.id,
    )
    assert "<strong>spring</strong>" in back.notes_html
    revisions = _revisions(playbook.id)
    assert [r.number for r in revisions] == [1, 2, 3, 4, 5]
    assert revisions[-1].summary == f"Restored version {good_version}" and p.version == 5
    assert revisions[3].summary.startswith("Removed")  # the version before the restore is kept
    assert revisions[-1].snapshot == revisions[good_version - 1].snapshot


def test_restore_brings_back_a_removed_section_with_its_library_items(
    client, login, member, library
):
    playbook = make_playbook(member, items=8, framework=seeded_framework())
    before = reload(playbook.id)
    from playbook.playbooks import document

    snapshot = document.snapshot(before)
    services.remove_section(member, before, before.sections[1], base_version=before.version)
    p = reload(playbook.id)
    services.update_playbook(
        member,
        p,
        base_version=p.version,
        title="Renamed",
        scope="network",
        organization="",
        vision="",
        framework_id=None,
    )
    login(member)  # the restore runs in a fresh session: the removed plays must be looked up again
    response = post_change(client, playbook.id, f"/playbooks/{playbook.id}/history/9/restore")
    assert response.status_code == 302
    assert document.snapshot(reload(playbook.id)) == snapshot
    assert reload(playbook.id).version == 12  # one change, one version
    assert [r.number for r in _revisions(playbook.id)] == list(range(1, 13))


# --- stale versions: every kind of edit ----------------------------------------------


@pytest.fixture
def team(member, other_member):
    """A playbook with two notes in “Our definition”; Omar is a second editor (a stand-in
    for sharing) who changes things while Maria has the page open."""
    playbook = make_playbook(member, title="Team plan")
    add_members(playbook.id, other_member)
    first = add_note(member, playbook.id, 0, "First", notes="one")
    second = add_note(member, playbook.id, 0, "Second")
    return reload(playbook.id), first.id, second.id


def _meanwhile(other_member, playbook_id):
    """Omar renames a section: the playbook moves on one version."""
    p = reload(playbook_id)
    services.rename_section(other_member, p, p.sections[3], base_version=p.version, title="Links")
    return "Renamed the section “Resources” to “Links”"


def _assert_conflict_page(response, summary, current_version):
    assert response.status_code == 409
    html = check_page(response)
    assert CONFLICT in html
    assert "not saved" in html
    assert re.search(
        rf"Version {current_version}: {re.escape(summary)} \(Omar Other, \d\d:\d\d UTC\)", html
    )
    return html


TEXT_FORMS = {
    "details": (
        "/playbooks/{pid}/edit",
        "/playbooks/{pid}/edit",
        {"title": "My new title", "vision": "What I *typed*", "organization": "My org"},
    ),
    "item": (
        "/playbooks/{pid}/items/{first}/edit",
        "/playbooks/{pid}/items/{first}/edit",
        {"notes": "My long adaptation notes\nline two", "status": "piloting"},
    ),
    "section add": ("/playbooks/{pid}", "/playbooks/{pid}/sections", {"title": "My new section"}),
    "section rename": (
        "/playbooks/{pid}/sections/{section}/edit",
        "/playbooks/{pid}/sections/{section}/edit",
        {"title": "My section name"},
    ),
}


@pytest.mark.parametrize("kind", list(TEXT_FORMS))
def test_stale_text_form_keeps_the_typed_text_and_saves_on_the_second_try(
    client, login, member, other_member, team, kind
):
    playbook, first, _ = team
    page_url, url, typed = (
        s.format(pid=playbook.id, first=first, section=playbook.sections[2].id)
        if isinstance(s, str)
        else s
        for s in TEXT_FORMS[kind]
    )
    login(member)
    stale_page = client.get(page_url).get_data(as_text=True)
    data = form_posting_to(stale_page, url)
    assert data["version"] == "3"
    data.update(typed)
    summary = _meanwhile(other_member, playbook.id)
    before = state_of(playbook.id)

    response = client.post(url, data=data)
    html = _assert_conflict_page(response, summary, 4)
    assert state_of(playbook.id) == before
    retry = form_posting_to(html, url)
    assert retry["version"] == "4"  # the form is now based on the current version
    for name, value in typed.items():
        assert retry[name] == value, name  # nothing typed is lost
    assert "Links" in html  # the difference is shown

    response = client.post(url, data=retry)
    assert response.status_code == 302
    p = reload(playbook.id)
    assert p.version == 5 and p.sections[3].title == "Links"  # their change is kept too
    if kind == "details":
        assert (p.title, p.vision, p.organization) == ("My new title", "What I *typed*", "My org")
    elif kind == "item":
        item = p.sections[0].items[0]
        assert (item.notes, item.status.value) == (typed["notes"], "piloting")
    elif kind == "section add":
        assert p.sections[-1].title == "My new section"
    else:
        assert p.sections[2].title == "My section name"


def _non_text(kind, playbook, first, second):
    pid, s0, s2 = playbook.id, playbook.sections[0].id, playbook.sections[2].id
    return {
        "item move": (
            f"/playbooks/{pid}/items/{first}/move",
            {"position": "1", "section_id": str(s0)},
        ),
        "item move across": (
            f"/playbooks/{pid}/items/{first}/move",
            {"position": "0", "section_id": str(s2)},
        ),
        "item remove": (f"/playbooks/{pid}/items/{second}/delete", {}),
        "section move": (f"/playbooks/{pid}/sections/{s2}/move", {"position": "0"}),
        "section remove": (f"/playbooks/{pid}/sections/{s0}/delete", {}),
        "restore": (f"/playbooks/{pid}/history/1/restore", {}),
    }[kind]


@pytest.mark.parametrize(
    "kind",
    ["item move", "item move across", "item remove", "section move", "section remove", "restore"],
)
def test_stale_move_remove_or_restore_is_refused_and_changes_nothing(
    client, login, member, other_member, team, kind
):
    playbook, first, second = team
    url, data = _non_text(kind, playbook, first, second)
    login(member)
    stale_version = reload(playbook.id).version
    summary = _meanwhile(other_member, playbook.id)
    before = state_of(playbook.id)
    response = post_change(client, playbook.id, url, data, version=stale_version)
    html = _assert_conflict_page(response, summary, stale_version + 1)
    assert "was not applied" in html
    assert state_of(playbook.id) == before
    assert (
        post_change(client, playbook.id, url, data).status_code == 302
    )  # on the current version it works
    assert reload(playbook.id).version == stale_version + 2


@pytest.mark.parametrize("kind", ["item move", "section move"])
def test_stale_move_from_the_script_is_a_json_conflict(
    client, login, member, other_member, team, kind
):
    playbook, first, second = team
    url, data = _non_text(kind, playbook, first, second)
    login(member)
    stale_version = reload(playbook.id).version
    _meanwhile(other_member, playbook.id)
    before = state_of(playbook.id)
    response = post_change(client, playbook.id, url, data, version=stale_version, json=True)
    assert response.status_code == 409
    assert response.json == {
        "ok": False,
        "conflict": True,
        "error": "Someone changed this playbook meanwhile. Reload to see it.",
    }
    assert state_of(playbook.id) == before


def test_a_save_racing_another_save_is_a_conflict(member, team):
    """The version check passed, but another save committed before this one's UPDATE:
    the guarded UPDATE matches no row, and nothing of this change is written."""
    playbook, _, _ = team
    p = reload(playbook.id)
    before = state_of(playbook.id)
    p = reload(playbook.id)
    with db.engine.begin() as connection:  # someone else's save, on another connection
        connection.execute(
            update(Playbook).where(Playbook.id == p.id).values(version=Playbook.version + 1)
        )
    with pytest.raises(services.Conflict):
        services.add_section(member, p, base_version=p.version, title="Lost race")
    after = state_of(playbook.id)
    assert after["version"] == before["version"] + 1
    assert after["sections"] == before["sections"] and after["revisions"] == before["revisions"]


# --- fork ----------------------------------------------------------------------------


def test_owner_forks_a_playbook(client, login, member, library):
    original = make_playbook(
        member,
        items=6,
        framework=seeded_framework(),
        spread=True,
        title="Original plan",
        vision="Our *vision*",
    )
    from playbook.playbooks import document

    original_doc = document.snapshot(reload(original.id))
    login(member)
    url = f"/playbooks/{original.id}/fork"
    response = client.post(url, data=form_posting_to(_detail(client, original.id), url))
    assert response.status_code == 302
    fork = db.session.scalar(select(Playbook).where(Playbook.forked_from_id == original.id))
    assert response.location.endswith(f"/playbooks/{fork.id}")
    fork = reload(fork.id)
    assert fork.title == "Original plan (copy)"
    assert fork.role_of(member) is MemberRole.OWNER and len(fork.memberships) == 1
    assert fork.version == 1 and [r.summary for r in _revisions(fork.id)] == [
        "Forked from “Original plan”"
    ]
    fork_doc = document.snapshot(fork)
    expected = {**original_doc, "title": "Original plan (copy)"}
    for section in expected["sections"]:
        for item in section["items"]:
            item.update(owner=None, owner_id=None)  # who does what is not copied
    assert fork_doc == expected
    original_items = {i.id for s in reload(original.id).sections for i in s.items}
    assert not original_items & {i.id for s in fork.sections for i in s.items}

    html = _detail(client, fork.id)
    assert "This is your own copy." in html
    assert f'Forked from <a href="/playbooks/{original.id}">Original plan</a>' in html
    assert re.search(r"·\s*1 fork\s", _detail(client, original.id))

    p = reload(fork.id)
    services.rename_section(
        member, p, p.sections[0], base_version=p.version, title="Changed in the fork"
    )
    assert reload(original.id).sections[0].title == "Our definition"


def test_forks_in_the_bin_do_not_count(client, login, member):
    original = make_playbook(member)
    copies = [forks.fork_playbook(member, reload(original.id)) for _ in range(3)]
    services.delete_playbook(member, reload(copies[0].id))
    login(member)
    html = _detail(client, original.id)
    assert re.search(r"·\s*2 forks\s", html)
    services.delete_playbook(member, reload(copies[1].id))
    assert re.search(r"·\s*1 fork\s", _detail(client, original.id))


def test_fork_of_a_binned_or_purged_original_still_opens(client, login, member):
    original = make_playbook(member, title="Gone soon")
    fork = forks.fork_playbook(member, reload(original.id))
    services.delete_playbook(member, reload(original.id))
    login(member)
    html = _detail(client, fork.id)
    assert "Forked from another playbook" in html and "Gone soon</a>" not in html
    p = db.session.get(Playbook, original.id)
    p.deleted_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert services.purge_deleted_playbooks() == 1
    html = _detail(client, fork.id)
    assert "Forked from" not in html
    assert reload(fork.id).forked_from_id is None


def test_forking_a_binned_playbook_is_404(client, login, member):
    playbook = make_playbook(member)
    services.delete_playbook(member, reload(playbook.id))
    login(member)
    count = playbook_count()
    response = client.post(f"/playbooks/{playbook.id}/fork", data={"csrf_token": token_for(client)})
    assert response.status_code == 404
    assert playbook_count() == count


# --- bin -----------------------------------------------------------------------------


def test_delete_asks_first_then_moves_to_the_bin(client, login, member):
    playbook = make_playbook(member, title="Old plan")
    add_note(member, playbook.id, title="Something")
    pid = playbook.id
    login(member)
    page = get_page(client, "playbooks.delete", playbook_id=pid).get_data(as_text=True)
    assert "Delete “Old plan”?" in page and "Move to the bin" in page
    assert reload(pid).deleted_at is None  # asking changes nothing
    response = client.post(
        f"/playbooks/{pid}/delete", data=form_posting_to(page, f"/playbooks/{pid}/delete")
    )
    assert response.status_code == 302 and response.location.endswith("/playbooks/bin")
    bin_page = get_page(client, "playbooks.bin").get_data(as_text=True)
    assert "“Old plan” is in the bin. You can restore it for 30 days." in bin_page
    playbook = reload(pid)
    assert playbook.deleted_at is not None
    assert len(playbook.sections[0].items) == 1  # nothing inside is lost
    for url in (
        f"/playbooks/{pid}",
        f"/playbooks/{pid}/edit",
        f"/playbooks/{pid}/history",
        f"/playbooks/{pid}/history/1",
        f"/playbooks/{pid}/export.json",
        f"/playbooks/{pid}/export.md",
        f"/playbooks/{pid}/print",
        f"/playbooks/{pid}/delete",
        f"/playbooks/{pid}/items/{playbook.sections[0].items[0].id}/edit",
    ):
        assert client.get(url).status_code == 404, url
    token = token_for(client)
    for url in (f"/playbooks/{pid}/sections", f"/playbooks/{pid}/fork", f"/playbooks/{pid}/delete"):
        assert (
            client.post(url, data={"csrf_token": token, "version": "2", "title": "x"}).status_code
            == 404
        ), url
    assert "Old plan" not in client.get("/playbooks/").get_data(as_text=True)

    bin_page = get_page(client, "playbooks.bin").get_data(as_text=True)
    assert "<strong>Old plan</strong>" in bin_page
    restore = form_posting_to(bin_page, f"/playbooks/{pid}/restore")
    response = client.post(f"/playbooks/{pid}/restore", data=restore, follow_redirects=True)
    assert response.status_code == 200
    assert "“Old plan” is back." in response.get_data(as_text=True)
    assert reload(pid).deleted_at is None
    assert "The bin is empty." in client.get("/playbooks/bin").get_data(as_text=True)


def test_delete_without_a_csrf_token_is_refused(client, login, member):
    playbook = make_playbook(member)
    login(member)
    assert client.post(f"/playbooks/{playbook.id}/delete").status_code == 400
    assert reload(playbook.id).deleted_at is None


def test_restoring_a_playbook_that_is_not_in_the_bin_is_forbidden(client, login, member):
    playbook = make_playbook(member)
    login(member)
    response = client.post(
        f"/playbooks/{playbook.id}/restore", data={"csrf_token": token_for(client)}
    )
    assert response.status_code == 403


def test_purge_deletes_only_what_has_been_in_the_bin_over_30_days(member, intruder):
    def binned(owner, days):
        playbook = make_playbook(owner, items=2)
        playbook = reload(playbook.id)
        playbook.deleted_at = utcnow() - timedelta(days=days)
        db.session.commit()
        return playbook.id

    old, old_other = binned(member, 31), binned(intruder, 45)
    recent, almost = binned(member, 1), binned(member, 29)
    live = make_playbook(member, items=1).id
    assert services.purge_deleted_playbooks() == 2
    db.session.expire_all()
    assert {p.id for p in db.session.scalars(select(Playbook))} == {recent, almost, live}
    for model in (Section, Item, Revision, Membership):
        assert not db.session.scalar(
            select(func.count()).select_from(model).where(model.playbook_id.in_([old, old_other]))
        ), model
    assert services.purge_deleted_playbooks() == 0
    assert services.purge_deleted_playbooks(now=utcnow() + timedelta(days=30)) == 2  # a month later


def test_purge_bin_command(runner, member):
    playbook = make_playbook(member)
    playbook.deleted_at = utcnow() - timedelta(days=40)
    db.session.commit()
    result = runner.invoke(args=["purge-bin"])
    assert result.exit_code == 0
    assert result.output.strip() == "Purged 1 playbook from the bin."
    assert playbook_count() == 0


# --- a save that loses a race (the version check passed, the guarded write did not) --


def _rename_last_section(other_member):
    def change(playbook_id):
        p = services.load_playbook_for_change(playbook_id)
        services.rename_section(
            other_member, p, p.sections[3], base_version=p.version, title="Links"
        )

    return change


def test_details_form_that_loses_a_race_shows_only_the_racing_change(
    client, login, member, other_member, team, monkeypatch, app
):
    playbook, _, _ = team
    login(member)
    url = f"/playbooks/{playbook.id}/edit"
    data = form_posting_to(client.get(url).get_data(as_text=True), url)
    data.update(title="Typed while racing", vision="Nothing typed is lost")
    race(monkeypatch, app, _rename_last_section(other_member))
    before_version = reload(playbook.id).version
    response = client.post(url, data=data)
    html = _assert_conflict_page(
        response, "Renamed the section “Resources” to “Links”", before_version + 1
    )
    assert "Created the playbook" not in html  # not a change made since the form was opened
    assert reload(playbook.id).title == "Team plan"
    retry = form_posting_to(html, url)
    assert (retry["title"], retry["vision"], retry["version"]) == (
        "Typed while racing",
        "Nothing typed is lost",
        str(before_version + 1),
    )
    assert client.post(url, data=retry).status_code == 302
    p = reload(playbook.id)
    assert (p.title, p.sections[3].title, p.version) == (
        "Typed while racing",
        "Links",
        before_version + 2,
    )


def test_note_that_loses_a_race_keeps_the_typed_note(
    client, login, member, other_member, team, monkeypatch, app
):
    playbook, _, _ = team
    login(member)
    url = f"/playbooks/{playbook.id}/sections/{playbook.sections[1].id}/notes/new"
    data = {
        **form_posting_to(client.get(url).get_data(as_text=True), url),
        "title": "Racing note",
        "notes": "Typed *carefully*",
    }
    race(monkeypatch, app, _rename_last_section(other_member))
    response = client.post(url, data=data)
    html = _assert_conflict_page(response, "Renamed the section “Resources” to “Links”", 4)
    assert reload(playbook.id).sections[1].items == []
    retry = form_posting_to(html, url)
    assert (retry["title"], retry["notes"]) == ("Racing note", "Typed *carefully*")
    assert client.post(url, data=retry).status_code == 302
    assert [i.title for i in reload(playbook.id).sections[1].items] == ["Racing note"]


def test_add_to_playbook_that_loses_a_race_is_refused_not_an_error(
    client, login, member, other_member, team, monkeypatch, app, library
):
    from playbook.models import Play

    playbook, _, _ = team
    play = db.session.scalar(select(Play).order_by(Play.id))
    login(member)
    page = client.get(f"/playbooks/add?kind=play&ref_id={play.id}").get_data(as_text=True)
    data = {**form_posting_to(page, "/playbooks/add"), "section_id": str(playbook.sections[1].id)}
    race(monkeypatch, app, _rename_last_section(other_member))
    response = client.post("/playbooks/add", data=data)
    assert response.status_code == 409
    assert CONFLICT in response.get_data(as_text=True)
    assert reload(playbook.id).sections[1].items == []
    assert client.post("/playbooks/add", data=data).status_code == 302  # trying again works
    assert len(reload(playbook.id).sections[1].items) == 1


def test_move_that_loses_a_race_is_a_json_conflict(
    client, login, member, other_member, team, monkeypatch, app
):
    playbook, first, _ = team
    login(member)
    race(monkeypatch, app, _rename_last_section(other_member))
    response = post_change(
        client,
        playbook.id,
        f"/playbooks/{playbook.id}/items/{first}/move",
        {"position": "1"},
        json=True,
    )
    assert response.status_code == 409 and response.json["conflict"] is True
    assert [i.title for i in reload(playbook.id).sections[0].items] == ["First", "Second"]
    assert reload(playbook.id).sections[3].title == "Links"


def test_the_bin_does_not_change_the_version(client, login, member):
    """Moving a playbook to the bin and back changes nothing in the document: it makes
    no revision and no version (a version without a revision would break history)."""
    playbook = make_playbook(member)
    add_note(member, playbook.id, title="Kept")
    services.delete_playbook(member, reload(playbook.id))
    services.restore_playbook(member, reload(playbook.id))
    assert reload(playbook.id).version == revision_count(playbook.id) == 2
    login(member)
    assert client.get(f"/playbooks/{playbook.id}/history/compare?from=1").status_code == 200
    assert client.get(f"/playbooks/{playbook.id}/history/2").status_code == 200
    response = post_change(
        client, playbook.id, f"/playbooks/{playbook.id}/sections", {"title": "After the bin"}
    )
    assert response.status_code == 302
    assert [r.number for r in _revisions(playbook.id)] == [1, 2, 3] and reload(
        playbook.id
    ).version == 3
