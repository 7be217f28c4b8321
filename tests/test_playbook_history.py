"""Revisions, comparing and restoring, stale-version conflicts, forks and the bin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from playbook.extensions import db
from playbook.models import (
    Item,
    MemberRole,
    Membership,
    Playbook,
    Revision,
    Section,
    User,
    utcnow,
)
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
from tests.helpers import (
    check_page,
    form_posting_to,
    get_page,
    post_change,
    race,
    token_for,
    without_ids,
)

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
    assert without_ids(revisions[-1].snapshot) == without_ids(revisions[good_version - 1].snapshot)


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
    assert without_ids(document.snapshot(reload(playbook.id))) == without_ids(snapshot)
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


def _assert_conflict_page(response, summary, current_version, overlap=None):
    assert response.status_code == 409
    html = check_page(response)
    assert CONFLICT in html
    assert "not saved" in html
    assert re.search(
        rf"Version {current_version}: {re.escape(summary)} \(Omar Other, \d\d:\d\d UTC\)", html
    )
    if overlap:
        assert f"You and a teammate both changed {overlap}." in html
    return html


def _omar_edits(omar: User, playbook_id, item_id, **fields):
    """Omar saves the item with `fields` changed, on the current version."""
    p = reload(playbook_id)
    item = next(i for s in p.sections for i in s.items if i.id == item_id)
    values = {
        "title": item.title,
        "notes": item.notes,
        "status": item.status.value,
        "owner_id": item.owner_id,
        "target_date": item.target_date,
        "element_id": item.element_id,
        **fields,
    }
    services.update_item(omar, p, item, base_version=p.version, **values)
    return f"Edited “{item.display_title}”"


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


def _stale_form(client, login, member, playbook, first, kind):
    page_url, url, typed = (
        s.format(pid=playbook.id, first=first, section=playbook.sections[2].id)
        if isinstance(s, str)
        else s
        for s in TEXT_FORMS[kind]
    )
    login(member)
    data = form_posting_to(client.get(page_url).get_data(as_text=True), url)
    assert data["version"] == "3"
    data.update(typed)
    return url, data, typed


@pytest.mark.parametrize("kind", list(TEXT_FORMS))
def test_stale_text_form_is_merged_with_a_change_elsewhere(
    client, login, member, other_member, team, kind
):
    """Omar renamed another section while Maria typed: her save lands on top of his,
    she is told so, and both changes are in the playbook and its history."""
    playbook, first, _ = team
    url, data, typed = _stale_form(client, login, member, playbook, first, kind)
    _meanwhile(other_member, playbook.id)

    response = client.post(url, data=data, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert CONFLICT not in html
    if kind != "section add":
        assert (
            "Merged with Omar Other’s change (renamed the section “Resources” to “Links”)." in html
        )
    p = reload(playbook.id)
    assert p.version == 5 and p.sections[3].title == "Links"  # his change is kept
    if kind == "details":
        assert (p.title, p.vision, p.organization) == ("My new title", "What I *typed*", "My org")
    elif kind == "item":
        item = p.sections[0].items[0]
        assert (item.notes, item.status.value, item.title) == (typed["notes"], "piloting", "First")
    elif kind == "section add":
        assert p.sections[-1].title == "My new section"
    else:
        assert p.sections[2].title == "My section name"
    assert [r.actor_id for r in _revisions(playbook.id)][-2:] == [other_member.id, member.id]


def _overlap(omar: User, kind, playbook, first):
    """Omar changes the same field Maria is changing; returns his revision's summary and
    how the conflict page names the overlap."""
    pid = playbook.id
    if kind == "details":
        p = reload(pid)
        services.update_playbook(
            omar,
            p,
            base_version=p.version,
            title="Omar's title",
            scope=p.scope.value,
            organization=p.organization,
            vision=p.vision,
            framework_id=p.framework_id,
        )
        return "Edited the title, vision and details", "the title of the playbook"
    if kind == "item":
        return _omar_edits(omar, pid, first, notes="Omar's twist"), "the twist of “First”"
    p = reload(pid)
    old_title = p.sections[2].title
    services.rename_section(omar, p, p.sections[2], base_version=p.version, title="Named by Omar")
    return (
        f"Renamed the section “{old_title}” to “Named by Omar”",
        "the title of the section “Named by Omar”",
    )


@pytest.mark.parametrize("kind", ["details", "item", "section rename"])
def test_stale_text_form_that_overlaps_keeps_the_typed_text_and_saves_on_the_second_try(
    client, login, member, other_member, team, kind
):
    playbook, first, _ = team
    url, data, typed = _stale_form(client, login, member, playbook, first, kind)
    summary, overlap = _overlap(other_member, kind, playbook, first)
    before = state_of(playbook.id)

    response = client.post(url, data=data)
    html = _assert_conflict_page(response, summary, 4, overlap)
    assert state_of(playbook.id) == before
    retry = form_posting_to(html, url)
    assert retry["version"] == "4"  # the form is now based on the current version
    for name, value in typed.items():
        assert retry[name] == value, name  # nothing typed is lost
    assert "Omar" in html  # the difference is shown

    response = client.post(url, data=retry)
    assert response.status_code == 302
    p = reload(playbook.id)
    assert p.version == 5
    if kind == "details":
        assert (p.title, p.vision) == ("My new title", "What I *typed*")
    elif kind == "item":
        item = p.sections[0].items[0]
        assert (item.notes, item.status.value) == (typed["notes"], "piloting")
    else:
        assert p.sections[2].title == "My section name"
    # Omar's text is not lost either: the history holds it.
    assert any("Omar" in str(r.snapshot) for r in _revisions(playbook.id))


def test_stale_item_form_keeps_a_teammates_change_to_another_field(
    client, login, member, other_member, team
):
    """Maria changes the status; Omar meanwhile changed the twist of the same item:
    nothing overlaps, so both stay."""
    playbook, first, _ = team
    login(member)
    url = f"/playbooks/{playbook.id}/items/{first}/edit"
    data = form_posting_to(client.get(url).get_data(as_text=True), url)
    _omar_edits(other_member, playbook.id, first, notes="Omar's twist", title="First, renamed")
    data["status"] = "adopted"
    assert client.post(url, data=data).status_code == 302
    item = db.session.get(Item, first)
    db.session.refresh(item)
    assert (item.title, item.notes, item.status.value) == (
        "First, renamed",
        "Omar's twist",
        "adopted",
    )


def test_stale_item_form_sending_back_a_twist_with_browser_line_breaks_is_no_overlap(
    client, login, member, other_member, team
):
    """The twist was saved with its lines ending in LF, as an import saves it; Maria's
    browser sends the text area back untouched but with CR LF line ends while she
    changes the status. Omar meanwhile changed the twist: she did not touch it, so
    there is no conflict, his twist stays, and her status lands."""
    playbook, first, _ = team
    _omar_edits(other_member, playbook.id, first, notes="Line one\nLine two")
    login(member)
    url = f"/playbooks/{playbook.id}/items/{first}/edit"
    data = form_posting_to(client.get(url).get_data(as_text=True), url)
    assert data["notes"] == "Line one\nLine two"
    data.update(notes="Line one\r\nLine two", status="adopted")
    _omar_edits(other_member, playbook.id, first, notes="Omar's twist")

    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    item = db.session.get(Item, first)
    assert (item.notes, item.status.value) == ("Omar's twist", "adopted")


def test_stale_save_of_the_same_value_is_no_overlap(client, login, member, other_member, team):
    playbook, first, _ = team
    login(member)
    url = f"/playbooks/{playbook.id}/items/{first}/edit"
    data = form_posting_to(client.get(url).get_data(as_text=True), url)
    _omar_edits(other_member, playbook.id, first, notes="We agreed on this")
    data["notes"] = "We agreed on this"
    assert client.post(url, data=data).status_code == 302


def test_stale_save_that_changes_nothing_makes_no_revision(
    client, login, member, other_member, team
):
    playbook, first, _ = team
    login(member)
    url = f"/playbooks/{playbook.id}/items/{first}/edit"
    data = form_posting_to(client.get(url).get_data(as_text=True), url)
    _meanwhile(other_member, playbook.id)
    count = revision_count(playbook.id)
    assert client.post(url, data=data).status_code == 302
    assert revision_count(playbook.id) == count


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


def _applied(kind, playbook_id, section_ids) -> bool:
    p = reload(playbook_id)
    titles = [[i.title for i in s.items] for s in p.sections]
    return {
        "item move": titles[0] == ["Second", "First"],
        "item move across": titles[0] == ["Second"] and titles[2] == ["First"],
        "item remove": titles[0] == ["First"],
        "section move": p.sections[0].id == section_ids[2],
        "section remove": section_ids[0] not in [s.id for s in p.sections],
    }[kind]


@pytest.mark.parametrize(
    "kind", ["item move", "item move across", "item remove", "section move", "section remove"]
)
def test_stale_move_or_remove_is_merged_with_a_change_elsewhere(
    client, login, member, other_member, team, kind
):
    playbook, first, second = team
    url, data = _non_text(kind, playbook, first, second)
    section_ids = [s.id for s in playbook.sections]
    login(member)
    stale_version = reload(playbook.id).version
    _meanwhile(other_member, playbook.id)
    response = post_change(client, playbook.id, url, data, version=stale_version)
    assert response.status_code == 302
    assert _applied(kind, playbook.id, section_ids)
    p = reload(playbook.id)
    assert p.version == stale_version + 2 and p.sections[-1].title == "Links"


def _remove_item(omar: User, playbook_id, item_id):
    p = reload(playbook_id)
    item = next(i for s in p.sections for i in s.items if i.id == item_id)
    summary = f"Removed “{item.display_title}” from “{item.section.title}”"
    services.remove_item(omar, p, item, base_version=p.version)
    return summary


def _remove_section(omar: User, playbook_id, section_id):
    p = reload(playbook_id)
    section = p.section_by_id(section_id)
    summary = f"Removed the section “{section.title}” ({len(section.items)} items)"
    services.remove_section(omar, p, section, base_version=p.version)
    return summary


def _overlapping(omar: User, kind, playbook, first, second):
    """What Omar does meanwhile that Maria's move or removal cannot be merged with."""
    pid, _s0, s2 = playbook.id, playbook.sections[0].id, playbook.sections[2].id
    return {
        "item move": lambda: _remove_item(omar, pid, first),
        "item move across": lambda: _remove_section(omar, pid, s2),
        "item remove": lambda: _omar_edits(omar, pid, second, notes="Omar was here"),
        "section move": lambda: _remove_section(omar, pid, s2),
        "section remove": lambda: _omar_edits(omar, pid, first, status="adopted"),
        "restore": lambda: _meanwhile(omar, pid),
    }[kind]()


@pytest.mark.parametrize(
    "kind",
    ["item move", "item move across", "item remove", "section move", "section remove", "restore"],
)
def test_stale_move_remove_or_restore_that_overlaps_is_refused_and_changes_nothing(
    client, login, member, other_member, team, kind
):
    """Moving what a teammate removed, removing what they changed, restoring an old
    version over anything: refused, with the conflict page; on the current version
    it works (or there is nothing left to do)."""
    playbook, first, second = team
    url, data = _non_text(kind, playbook, first, second)
    login(member)
    stale_version = reload(playbook.id).version
    summary = _overlapping(other_member, kind, playbook, first, second)
    before = state_of(playbook.id)
    response = post_change(client, playbook.id, url, data, version=stale_version)
    html = _assert_conflict_page(response, summary, stale_version + 1)
    assert "was not applied" in html
    assert state_of(playbook.id) == before
    if kind in ("item remove", "section remove", "restore"):
        assert post_change(client, playbook.id, url, data).status_code == 302
        assert reload(playbook.id).version == stale_version + 2


@pytest.mark.parametrize("kind", ["item move", "section move"])
def test_stale_move_from_the_script_that_overlaps_is_a_json_conflict(
    client, login, member, other_member, team, kind
):
    playbook, first, second = team
    url, data = _non_text(kind, playbook, first, second)
    login(member)
    stale_version = reload(playbook.id).version
    _overlapping(other_member, kind, playbook, first, second)
    before = state_of(playbook.id)
    response = post_change(client, playbook.id, url, data, version=stale_version, json=True)
    assert response.status_code == 409
    assert response.json == {
        "ok": False,
        "conflict": True,
        "error": "Someone changed this playbook meanwhile. Reload to see it.",
    }
    assert state_of(playbook.id) == before


def test_a_stale_move_goes_after_the_item_it_was_dropped_behind(member, other_member, team):
    """Maria saw [First, Second, Third] and dropped Third after First; Omar meanwhile
    added Zero at the top. Third lands after First, wherever First is now."""
    playbook, _first, _second = team
    third = add_note(member, playbook.id, 0, "Third").id
    stale_version = reload(playbook.id).version
    p = reload(playbook.id)
    zero = services.add_item(other_member, p, p.sections[0], kind="note", title="Zero").id
    p = reload(playbook.id)
    services.move_item(
        other_member,
        p,
        db.session.get(Item, zero),
        base_version=p.version,
        section=p.sections[0],
        position=0,
    )
    p = reload(playbook.id)
    item = next(i for i in p.sections[0].items if i.id == third)
    services.move_item(
        member, p, item, base_version=stale_version, section=p.sections[0], position=1
    )
    assert [i.title for i in reload(playbook.id).sections[0].items] == [
        "Zero",
        "First",
        "Third",
        "Second",
    ]


def test_a_save_racing_another_save_is_merged_on_what_they_saved(
    member, other_member, team, monkeypatch
):
    """The version check passed, but another save committed before this one's UPDATE:
    the guarded UPDATE matches no row, nothing of this attempt is written, and the
    change is merged again on the playbook as the other save left it."""
    playbook, first, _ = team
    p = reload(playbook.id)
    item = next(i for i in p.sections[0].items if i.id == first)
    commit, raced = services.commit_revision, []

    def commit_after_a_teammate(*args):
        if not raced:  # someone else's save lands first, on another connection
            raced.append(True)
            with db.engine.begin() as connection:
                connection.execute(
                    update(Playbook).where(Playbook.id == p.id).values(version=Playbook.version + 1)
                )
                connection.execute(
                    Revision.__table__.insert().values(
                        playbook_id=p.id,
                        number=p.version + 1,
                        actor_id=other_member.id,
                        summary="Omar's save",
                        snapshot=latest_revision(p.id).snapshot,
                        created_at=utcnow(),
                    )
                )
        return commit(*args)

    monkeypatch.setattr(services, "commit_revision", commit_after_a_teammate)
    services.update_item(
        member, p, item, base_version=p.version, title="First", notes="mine", status="idea"
    )
    assert raced
    db.session.expire_all()
    item = db.session.get(Item, first)
    assert item.notes == "mine"
    assert [r.summary for r in _revisions(playbook.id)][-2:] == ["Omar's save", "Edited “First”"]


def test_a_save_that_keeps_losing_the_race_is_a_conflict(member, team, monkeypatch):
    playbook, _first, _ = team
    p = reload(playbook.id)
    before = state_of(playbook.id)

    def always_raced(*args, **kwargs):
        db.session.rollback()
        raise services.Raced

    monkeypatch.setattr(services, "commit_revision", always_raced)
    with pytest.raises(services.Conflict):
        services.add_section(member, p, title="Lost race")
    assert state_of(playbook.id) == before


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
    assert without_ids(fork_doc) == without_ids(expected)
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


def test_details_form_that_loses_a_race_is_merged_on_the_racing_change(
    client, login, member, other_member, team, monkeypatch, app
):
    playbook, _, _ = team
    login(member)
    url = f"/playbooks/{playbook.id}/edit"
    data = form_posting_to(client.get(url).get_data(as_text=True), url)
    data.update(title="Typed while racing", vision="Nothing typed is lost")
    race(monkeypatch, app, _rename_last_section(other_member))
    before_version = reload(playbook.id).version
    response = client.post(url, data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "Merged with Omar Other’s change (renamed the section" in response.get_data(as_text=True)
    p = reload(playbook.id)
    assert (p.title, p.vision, p.sections[3].title, p.version) == (
        "Typed while racing",
        "Nothing typed is lost",
        "Links",
        before_version + 2,
    )


def test_note_that_loses_a_race_is_added_after_the_racing_change(
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
    assert client.post(url, data=data).status_code == 302
    p = reload(playbook.id)
    assert [i.title for i in p.sections[1].items] == ["Racing note"]
    assert p.sections[3].title == "Links"


def test_add_to_playbook_that_loses_a_race_is_added_after_the_racing_change(
    client, login, member, other_member, team, monkeypatch, app, library
):
    from playbook.models import Play

    playbook, _, _ = team
    play = db.session.scalar(select(Play).order_by(Play.id))
    login(member)
    page = client.get(f"/playbooks/add?kind=play&ref_id={play.id}").get_data(as_text=True)
    data = {**form_posting_to(page, "/playbooks/add"), "section_id": str(playbook.sections[1].id)}
    race(monkeypatch, app, _rename_last_section(other_member))
    assert client.post("/playbooks/add", data=data).status_code == 302
    p = reload(playbook.id)
    assert len(p.sections[1].items) == 1 and p.sections[3].title == "Links"


def test_move_that_loses_a_race_is_merged_on_the_racing_change(
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
    assert response.status_code == 200 and response.json["ok"] is True
    p = reload(playbook.id)
    assert [i.title for i in p.sections[0].items] == ["Second", "First"]
    assert p.sections[3].title == "Links" and response.json["version"] == p.version


def test_item_form_that_loses_a_race_to_the_same_twist_is_a_conflict_with_both_texts(
    client, login, member, other_member, team, monkeypatch, app
):
    """Omar's save of the twist commits after Maria's request loaded the playbook but
    before its guarded write: merged again on what he saved, her twist overlaps his,
    so she gets the conflict page (not a silent overwrite), and both texts survive."""
    playbook, first, _ = team
    login(member)
    url = f"/playbooks/{playbook.id}/items/{first}/edit"
    data = form_posting_to(client.get(url).get_data(as_text=True), url)
    version = int(data["version"])
    race(monkeypatch, app, lambda pid: _omar_edits(other_member, pid, first, notes="Omar's twist"))
    data["notes"] = "Maria's twist"

    response = client.post(url, data=data)
    html = _assert_conflict_page(response, "Edited “First”", version + 1, "the twist of “First”")
    differences = html.partition('id="yours-heading"')[0]
    assert "Omar&#39;s twist" in differences
    retry = form_posting_to(html, url)
    assert (retry["notes"], retry["version"]) == ("Maria's twist", str(version + 1))
    db.session.expire_all()
    assert db.session.get(Item, first).notes == "Omar's twist"
    assert revision_count(playbook.id) == version + 1

    assert client.post(url, data=retry).status_code == 302
    assert [_notes_of(r, first) for r in _revisions(playbook.id)[-2:]] == [
        "Omar's twist",
        "Maria's twist",
    ]


def _notes_of(revision: Revision, item_id: int) -> str:
    return next(
        i["notes"] for s in revision.snapshot["sections"] for i in s["items"] if i["id"] == item_id
    )


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
