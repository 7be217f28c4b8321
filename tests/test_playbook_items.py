"""Sections and items of a playbook: adding from the library, notes, editing, moving, removing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from playbook.extensions import db
from playbook.models import Element, Item, ItemKind, ItemStatus, Play, Resource, utcnow
from playbook.playbooks import services
from tests import factories
from tests.factories import (
    add_members,
    add_note,
    add_play,
    item_count,
    items_by_section,
    latest_revision,
    make_playbook,
    reload,
    revision_count,
    seeded_framework,
    state_of,
)
from tests.helpers import (
    XSS_MARKDOWN,
    assert_no_live_script,
    check_page,
    field_value,
    form_posting_to,
    get_page,
    page_html,
    post_change,
    pressing,
    token_for,
)
from tests.helpers import (
    field_error_html as field_error,
)


def _detail(client, playbook_id: int) -> str:
    return get_page(client, "playbooks.detail", playbook_id=playbook_id).get_data(as_text=True)


def _first_play() -> Play:
    return db.session.scalar(select(Play).where(Play.retired_at.is_(None)).order_by(Play.id))


def _item(playbook_id: int, item_id: int) -> Item:
    playbook = reload(playbook_id)
    return next(i for s in playbook.sections for i in s.items if i.id == item_id)


# --- "Add to playbook" from the library ----------------------------------------------


@pytest.fixture
def targets(library):
    component = seeded_framework().components[2]
    return {
        "play": _first_play(),
        "resource": db.session.scalar(select(Resource).order_by(Resource.id)),
        "component": component,
    }


def _title(target) -> str:
    return getattr(target, "title", None) or target.name


@pytest.mark.parametrize("kind", ["play", "resource", "component"])
def test_member_adds_a_library_entry_to_a_chosen_section(
    client, login, member, intruder, targets, kind
):
    target = targets[kind]
    mine = make_playbook(member, title="Our district plan")
    other = make_playbook(member, title="Second plan")
    make_playbook(intruder, title="Intruder plan")
    login(member)
    page = get_page(client, "playbooks.item_add", kind=kind, ref_id=target.id).get_data(
        as_text=True
    )
    assert _title(target) in page
    assert "Our district plan › Our plays" in page and "Second plan › Resources" in page
    assert "Intruder plan" not in page
    section = mine.sections[1]
    data = form_posting_to(page, "/playbooks/add")
    data["section_id"] = str(section.id)
    response = client.post("/playbooks/add", data=data)
    assert response.status_code == 302
    item = db.session.scalar(select(Item))
    assert response.location.endswith(f"/playbooks/{mine.id}#item-{item.id}")
    assert (item.kind.value, item.section_id, item.position, item.status) == (
        kind,
        section.id,
        0,
        ItemStatus.IDEA,
    )
    assert getattr(item, f"{kind}_id") == target.id
    assert reload(mine.id).version == 2 and reload(other.id).version == 1
    assert latest_revision(mine.id).summary == f"Added “{_title(target)}” to “Our plays”"
    html = _detail(client, mine.id)
    assert f"Added “{_title(target)}” to “Our district plan”." in html
    assert f'id="item-{item.id}"' in html


def test_added_items_go_to_the_end_of_the_section(client, login, member, targets):
    playbook = make_playbook(member)
    first = add_note(member, playbook.id, section_index=3, title="Already here")
    login(member)
    page = client.get(f"/playbooks/add?kind=resource&ref_id={targets['resource'].id}").get_data(
        as_text=True
    )
    client.post(
        "/playbooks/add",
        data={
            **form_posting_to(page, "/playbooks/add"),
            "section_id": str(playbook.sections[3].id),
        },
    )
    assert [pos for _, pos in items_by_section(playbook.id)[3]] == [0, 1]
    assert items_by_section(playbook.id)[3][0][0] == first.id


def _retired_play():
    return factories.make_play(retired=True)


def _retired_framework_component():
    framework = factories.make_framework()
    framework.retired_at = utcnow()
    db.session.commit()
    return framework.components[0]


@pytest.mark.parametrize(
    "case",
    [
        "retired play",
        "retired resource",
        "component of a retired framework",
        "unknown play",
        "unknown kind",
        "note",
        "not a number",
        "missing",
        "beyond the integer range",
        "negative",
    ],
)
def test_adding_a_retired_or_unknown_library_entry_is_404(client, login, member, library, case):
    if case == "retired play":
        query = f"kind=play&ref_id={_retired_play().id}"
    elif case == "retired resource":
        query = f"kind=resource&ref_id={factories.make_resource(retired=True).id}"
    elif case == "component of a retired framework":
        query = f"kind=component&ref_id={_retired_framework_component().id}"
    else:
        query = {
            "unknown play": "kind=play&ref_id=999999",
            "unknown kind": f"kind=poem&ref_id={_first_play().id}",
            "note": "kind=note&ref_id=1",
            "not a number": "kind=play&ref_id=abc",
            "missing": "",
            "beyond the integer range": f"kind=resource&ref_id={2**63}",
            "negative": "kind=play&ref_id=-1",
        }[case]
    playbook = make_playbook(member)
    login(member)
    assert client.get(f"/playbooks/add?{query}").status_code == 404
    token = token_for(client)
    data = dict(pair.split("=") for pair in query.split("&")) if query else {}
    response = client.post(
        "/playbooks/add",
        data={"csrf_token": token, "section_id": str(playbook.sections[0].id), **data},
    )
    assert response.status_code == 404
    assert item_count() == 0


def test_forged_section_of_someone_elses_playbook_is_refused(
    client, login, member, intruder, targets
):
    mine = make_playbook(member)
    theirs = make_playbook(intruder)
    before_mine, before_theirs = state_of(mine.id), state_of(theirs.id)
    login(member)
    page = client.get(f"/playbooks/add?kind=play&ref_id={targets['play'].id}").get_data(
        as_text=True
    )
    data = form_posting_to(page, "/playbooks/add")
    data["section_id"] = str(theirs.sections[1].id)  # a select value the page never offered
    response = client.post("/playbooks/add", data=data)
    assert response.status_code == 422
    html = check_page(response)
    assert "Not a valid choice." in field_error(html, "section_id")
    assert item_count() == 0
    assert (state_of(mine.id), state_of(theirs.id)) == (before_mine, before_theirs)


def test_a_playbook_in_the_bin_is_not_offered(client, login, member, targets):
    binned = make_playbook(member, title="In the bin")
    services.delete_playbook(member, reload(binned.id))
    login(member)
    page = client.get(f"/playbooks/add?kind=play&ref_id={targets['play'].id}").get_data(
        as_text=True
    )
    assert "In the bin" not in page
    assert "You have no playbook to add it to yet." in page
    response = client.post(
        "/playbooks/add",
        data={
            "csrf_token": token_for(client),
            "kind": "play",
            "ref_id": str(targets["play"].id),
            "section_id": str(binned.sections[0].id),
        },
    )
    assert response.status_code == 422
    assert item_count() == 0


def test_adding_to_a_full_playbook_is_refused_with_a_message(
    client, login, member, targets, monkeypatch
):
    monkeypatch.setattr(services, "MAX_ITEMS", 2)
    playbook = make_playbook(member, items=2)
    before = state_of(playbook.id)
    login(member)
    page = client.get(f"/playbooks/add?kind=play&ref_id={targets['play'].id}").get_data(
        as_text=True
    )
    response = client.post(
        "/playbooks/add",
        data={
            **form_posting_to(page, "/playbooks/add"),
            "section_id": str(playbook.sections[0].id),
        },
    )
    assert response.status_code == 422
    assert "A playbook holds at most 2 items." in response.get_data(as_text=True)
    assert state_of(playbook.id) == before


def test_visitor_is_sent_to_sign_in_to_add(client, targets):
    response = client.get(f"/playbooks/add?kind=play&ref_id={targets['play'].id}")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_library_pages_offer_add_to_playbook(client, login, member, targets):
    make_playbook(member)
    login(member)
    pages = {
        "play": f"/library/plays/{targets['play'].id}",
        "resource": f"/library/resources/{targets['resource'].id}",
        "component": f"/library/components/{targets['component'].id}",
    }
    html = {kind: client.get(url) for kind, url in pages.items()}
    assert {kind: response.status_code for kind, response in html.items()} == dict.fromkeys(
        pages, 200
    )
    missing = [
        kind
        for kind, response in html.items()
        if f"/playbooks/add?kind={kind}" not in response.get_data(as_text=True)
    ]
    assert missing == []


# --- notes ---------------------------------------------------------------------------


def test_member_adds_a_note_with_markdown_notes(client, login, member):
    playbook = make_playbook(member)
    section = playbook.sections[2]
    login(member)
    url = f"/playbooks/{playbook.id}/sections/{section.id}/notes/new"
    page = get_page(client, "playbooks.note_new", playbook_id=playbook.id, section_id=section.id)
    data = form_posting_to(page.get_data(as_text=True), url)
    data.update(title="Friday huddle", notes=XSS_MARKDOWN)
    response = client.post(url, data=data)
    assert response.status_code == 302
    item = db.session.scalar(select(Item))
    assert response.location.endswith(f"#item-{item.id}")
    assert (item.kind, item.title, item.section_id) == (ItemKind.NOTE, "Friday huddle", section.id)
    assert "<strong>Bold</strong>" in item.notes_html
    assert_no_live_script(item.notes_html)
    assert latest_revision(playbook.id).summary == "Added “Friday huddle” to “Team huddle”"
    assert_no_live_script(_detail(client, playbook.id))


@pytest.mark.parametrize(
    "title,message",
    [
        ("", "This field is required."),
        ("  ", "This field is required."),
        ("n" * 201, "Field cannot be longer than 200 characters."),
    ],
)
def test_note_needs_a_title(client, login, member, title, message):
    playbook = make_playbook(member)
    section = playbook.sections[0]
    before = state_of(playbook.id)
    login(member)
    url = f"/playbooks/{playbook.id}/sections/{section.id}/notes/new"
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        url, data={**form_posting_to(page, url), "title": title, "notes": "Kept details"}
    )
    assert response.status_code == 422
    html = check_page(response)
    assert message in field_error(html, "title")
    assert field_value(html, "notes") == "Kept details"
    assert state_of(playbook.id) == before


def test_note_in_a_full_playbook_is_refused(client, login, member, monkeypatch):
    monkeypatch.setattr(services, "MAX_ITEMS", 1)
    playbook = make_playbook(member, items=1)
    before = state_of(playbook.id)
    login(member)
    url = f"/playbooks/{playbook.id}/sections/{playbook.sections[0].id}/notes/new"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={**form_posting_to(page, url), "title": "One too many"})
    assert response.status_code == 422
    assert "A playbook holds at most 1 items." in response.get_data(as_text=True)
    assert state_of(playbook.id) == before


def test_note_in_a_deleted_or_foreign_section_is_404(client, login, member, intruder):
    playbook = make_playbook(member)
    theirs = make_playbook(intruder)
    removed = playbook.sections[3]
    p = reload(playbook.id)
    services.remove_section(member, p, p.sections[3], base_version=p.version)
    login(member)
    token = token_for(client)
    for section_id in (removed.id, theirs.sections[0].id, 999999):
        url = f"/playbooks/{playbook.id}/sections/{section_id}/notes/new"
        assert client.get(url).status_code == 404
        assert client.post(url, data={"csrf_token": token, "title": "Lost"}).status_code == 404
    assert item_count() == 0


# --- editing an item -----------------------------------------------------------------


@pytest.fixture
def with_play(member, library):
    """A playbook on the starter framework with one play in “Our plays”."""
    playbook = make_playbook(member, framework=seeded_framework())
    item = add_play(member, playbook.id, _first_play())
    return reload(playbook.id), item.id


def _edit_url(playbook_id, item_id):
    return f"/playbooks/{playbook_id}/items/{item_id}/edit"


def test_owner_edits_notes_status_owner_target_date_and_element(
    client, login, member, other_member, with_play
):
    playbook, item_id = with_play
    add_members(playbook.id, other_member)  # stands in for sharing: a second member of the team
    element = seeded_framework().components[1].elements[0]
    element_id, element_name = element.id, element.name
    login(member)
    url = _edit_url(playbook.id, item_id)
    page = get_page(
        client, "playbooks.item_edit", playbook_id=playbook.id, item_id=item_id
    ).get_data(as_text=True)
    assert "Maria Member" in page and "Omar Other" in page
    assert element_name in page
    data = form_posting_to(page, url)
    assert data["version"] == "2"
    data.update(
        title="",
        notes="We try it in **grade 6** first.\n\n<script>alert(1)</script>",
        status="piloting",
        owner_id=str(other_member.id),
        target_date="2027-03-15",
        element_id=str(element_id),
    )
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert response.location.endswith(f"/playbooks/{playbook.id}#item-{item_id}")
    item = _item(playbook.id, item_id)
    assert (item.status, item.owner_id, item.target_date, item.element_id) == (
        ItemStatus.PILOTING,
        other_member.id,
        date(2027, 3, 15),
        element_id,
    )
    assert item.title == "" and item.display_title == _first_play().title
    assert "<strong>grade 6</strong>" in item.notes_html and "<script" not in item.notes_html
    revision = latest_revision(playbook.id)
    assert (revision.number, revision.summary) == (3, f"Edited “{_first_play().title}”")
    html = _detail(client, playbook.id)
    assert (
        "Owner: Omar Other" in html
        and "Target 2027-03-15" in html
        and f"Element: {element_name}" in html
    )
    assert "Piloting" in html
    assert_no_live_script(html)


def _foreign_element_id():
    framework = factories.make_framework()
    element = Element(name="Elsewhere", position=0)
    framework.components[0].elements.append(element)
    db.session.commit()
    return str(element.id)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("owner_id", "intruder", "Not a valid choice."),
        ("owner_id", "999999", "Not a valid choice."),
        ("element_id", "foreign", "Not a valid choice."),
        ("element_id", "999999", "Not a valid choice."),
        ("target_date", "2027-02-30", "Not a valid date value."),
        ("target_date", "next week", "Not a valid date value."),
        ("status", "finished", "Not a valid choice."),
        ("title", "t" * 201, "Field cannot be longer than 200 characters."),
        ("notes", "n" * 20001, "Field cannot be longer than 20000 characters."),
    ],
)
def test_bad_item_input_is_refused_next_to_the_field(
    client, login, member, intruder, with_play, field, value, message
):
    playbook, item_id = with_play
    value = {"intruder": str(intruder.id), "foreign": "__foreign__"}.get(value, value)
    if value == "__foreign__":
        value = _foreign_element_id()
    before = state_of(playbook.id)
    login(member)
    url = _edit_url(playbook.id, item_id)
    data = form_posting_to(client.get(url).get_data(as_text=True), url)
    data.update(notes="My typed notes", status="adopted")
    data[field] = value
    response = client.post(url, data=data)
    assert response.status_code == 422
    html = check_page(response)
    assert message in field_error(html, field)
    if field != "notes":
        assert field_value(html, "notes") == "My typed notes"
    assert state_of(playbook.id) == before


def test_element_needs_a_framework(client, login, member, library):
    playbook = make_playbook(member)  # no framework: no element to choose
    item = add_note(member, playbook.id, title="Free note")
    element_id = seeded_framework().components[0].elements[0].id
    before = state_of(playbook.id)
    login(member)
    url = _edit_url(playbook.id, item.id)
    page = client.get(url).get_data(as_text=True)
    data = {**form_posting_to(page, url), "element_id": str(element_id)}
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert "Not a valid choice." in field_error(response.get_data(as_text=True), "element_id")
    assert state_of(playbook.id) == before


def test_note_title_cannot_be_emptied(client, login, member):
    playbook = make_playbook(member)
    item = add_note(member, playbook.id, title="Keep a title")
    before = state_of(playbook.id)
    login(member)
    url = _edit_url(playbook.id, item.id)
    data = {**form_posting_to(client.get(url).get_data(as_text=True), url), "title": "   "}
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert "A note needs a title." in response.get_data(as_text=True)
    assert state_of(playbook.id) == before


def test_services_refuse_a_non_member_owner_and_a_foreign_element(member, intruder, with_play):
    """Defence in depth behind the form's choices: the service checks both itself."""
    playbook, item_id = with_play
    foreign = int(_foreign_element_id())
    before = state_of(playbook.id)
    for kwargs, message in (
        ({"owner_id": intruder.id}, "The owner must be a member of this playbook."),
        ({"element_id": foreign}, "Choose an element of this playbook's framework."),
    ):
        p = reload(playbook.id)
        item = next(i for s in p.sections for i in s.items if i.id == item_id)
        with pytest.raises(services.PlaybookError, match=message):
            services.update_item(
                member,
                p,
                item,
                base_version=p.version,
                title="",
                notes="changed",
                status="adopted",
                **kwargs,
            )
        db.session.rollback()
    assert state_of(playbook.id) == before


def test_item_ids_from_elsewhere_are_404(client, login, member, intruder, library):
    mine = make_playbook(member)
    my_other = make_playbook(member)
    theirs = make_playbook(intruder)
    add_note(member, mine.id, title="Mine")
    in_my_other = add_note(member, my_other.id, title="Other playbook of mine")
    in_theirs = add_note(intruder, theirs.id, title="Theirs")
    before = state_of(mine.id), state_of(my_other.id), state_of(theirs.id)
    login(member)
    token = token_for(client)
    version = str(reload(mine.id).version)
    for pid, item_id in (
        (mine.id, in_my_other.id),
        (mine.id, in_theirs.id),
        (theirs.id, in_theirs.id),
        (mine.id, 999999),
    ):
        assert client.get(_edit_url(pid, item_id)).status_code == 404
        for action, data in (
            ("edit", {"title": "X", "status": "adopted"}),
            ("delete", {}),
            ("move", {"position": "0"}),
        ):
            response = client.post(
                f"/playbooks/{pid}/items/{item_id}/{action}",
                data={"csrf_token": token, "version": version, **data},
            )
            # Saving an item that exists nowhere keeps the typed text (a teammate may
            # have just removed it: see test_item_removed_while_editing.py).
            gone = action == "edit" and item_id == 999999 and pid == mine.id
            assert response.status_code == (409 if gone else 404), (pid, item_id, action)
    assert (state_of(mine.id), state_of(my_other.id), state_of(theirs.id)) == before


# --- moving items --------------------------------------------------------------------


@pytest.fixture
def three_and_two(member):
    """Notes A, B, C in “Our definition” and D, E in “Our plays”."""
    playbook = make_playbook(member)
    ids = {}
    for title, section in (("A", 0), ("B", 0), ("C", 0), ("D", 1), ("E", 1)):
        ids[title] = add_note(member, playbook.id, section, title).id
    return reload(playbook.id), ids


def _titles(playbook_id):
    playbook = reload(playbook_id)
    for section in playbook.sections:
        assert [i.position for i in section.items] == list(
            range(len(section.items))
        )  # contiguous 0..n-1
    return [[i.title for i in s.items] for s in playbook.sections]


def _move_url(playbook, item_id):
    return f"/playbooks/{playbook.id}/items/{item_id}/move"


def test_up_and_down_buttons_move_within_a_section(client, login, member, three_and_two):
    playbook, ids = three_and_two
    login(member)
    html = _detail(client, playbook.id)
    assert (
        client.post(
            _move_url(playbook, ids["C"]),
            data=pressing(html, _move_url(playbook, ids["C"]), position=1),
        ).status_code
        == 302
    )  # C up
    assert _titles(playbook.id)[0] == ["A", "C", "B"]
    html = _detail(client, playbook.id)
    client.post(
        _move_url(playbook, ids["A"]),
        data=pressing(html, _move_url(playbook, ids["A"]), position=1),
    )
    assert _titles(playbook.id)[:2] == [["C", "A", "B"], ["D", "E"]]
    revision = latest_revision(playbook.id)
    assert revision.summary == "Moved “A” within “Our definition”"
    assert revision.number == reload(playbook.id).version


def test_move_to_another_section_keeps_both_contiguous(client, login, member, three_and_two):
    playbook, ids = three_and_two
    login(member)
    url = _move_url(playbook, ids["B"])
    assert f'href="{url}"' in _detail(client, playbook.id)  # “Move to another section…”
    data = form_posting_to(
        page_html(client, "playbooks.item_move", playbook_id=playbook.id, item_id=ids["B"]), url
    )
    assert data["section_id"] == str(playbook.sections[0].id)  # preselects the item's own section
    assert data["position"] == "1000000"  # at the end, unless the top is chosen
    data["section_id"] = str(playbook.sections[1].id)
    assert client.post(url, data=data).status_code == 302
    assert _titles(playbook.id)[:2] == [["A", "C"], ["D", "E", "B"]]
    assert latest_revision(playbook.id).summary == "Moved “B” from “Our definition” to “Our plays”"
    response = post_change(
        client,
        playbook.id,
        _move_url(playbook, ids["D"]),
        {"position": "1", "section_id": str(playbook.sections[0].id)},
    )
    assert response.status_code == 302
    assert _titles(playbook.id)[:2] == [["A", "D", "C"], ["E", "B"]]


@pytest.mark.parametrize(
    "position,expected",
    [
        ("-5", ["B", "A", "C"]),
        ("-1000000", ["B", "A", "C"]),
        ("0", ["B", "A", "C"]),
        ("1", ["A", "B", "C"]),
        ("2", ["A", "C", "B"]),
        ("1000000", ["A", "C", "B"]),
    ],
)
def test_positions_are_clamped(client, login, member, three_and_two, position, expected):
    playbook, ids = three_and_two
    login(member)
    response = post_change(
        client, playbook.id, _move_url(playbook, ids["B"]), {"position": position}
    )
    assert response.status_code == 302
    assert _titles(playbook.id)[:2] == [expected, ["D", "E"]]
    moved = expected != ["A", "B", "C"]
    assert reload(playbook.id).version == (
        7 if moved else 6
    )  # a move that changes nothing is no revision
    assert revision_count(playbook.id) == reload(playbook.id).version


@pytest.mark.parametrize(
    "position,expected", [("-5", ["C", "A", "B", "D", "E"]), ("1000000", ["A", "B", "D", "E", "C"])]
)
def test_clamped_positions_across_sections(
    client, login, member, three_and_two, position, expected
):
    playbook, ids = three_and_two
    target = reload(playbook.id).sections[0]
    login(member)
    for title in ("D", "E"):
        post_change(
            client,
            playbook.id,
            _move_url(playbook, ids[title]),
            {"position": "1000000", "section_id": str(target.id)},
        )
    response = post_change(
        client,
        playbook.id,
        _move_url(playbook, ids["C"]),
        {"position": position, "section_id": str(target.id)},
    )
    assert response.status_code == 302
    assert _titles(playbook.id)[0] == expected


@pytest.mark.parametrize(
    "data",
    [
        {"position": "abc"},
        {"position": ""},
        {"position": "1.5"},
        {"position": str(10**7)},
        {"position": "1", "section_id": "abc"},
    ],
)
def test_bad_move_positions_are_refused(client, login, member, three_and_two, data):
    playbook, ids = three_and_two
    before = state_of(playbook.id)
    login(member)
    response = post_change(
        client, playbook.id, _move_url(playbook, ids["A"]), data, follow_redirects=True
    )
    assert response.status_code == 200
    assert "That move is not possible." in response.get_data(as_text=True)
    response = post_change(client, playbook.id, _move_url(playbook, ids["A"]), data, json=True)
    assert response.status_code == 400
    assert response.json["ok"] is False
    assert state_of(playbook.id) == before


def test_moving_to_a_foreign_or_deleted_section_is_404(
    client, login, member, intruder, three_and_two
):
    playbook, ids = three_and_two
    theirs = make_playbook(intruder)
    p = reload(playbook.id)
    removed = p.sections[3].id
    services.remove_section(member, p, p.sections[3], base_version=p.version)
    other_of_mine = make_playbook(member)
    before = state_of(playbook.id)
    login(member)
    for section_id in (theirs.sections[0].id, removed, other_of_mine.sections[0].id, 999999):
        response = post_change(
            client,
            playbook.id,
            _move_url(playbook, ids["A"]),
            {"position": "0", "section_id": str(section_id)},
        )
        assert response.status_code == 404, section_id
    assert state_of(playbook.id) == before


def test_move_answers_json_for_the_script(client, login, member, three_and_two):
    playbook, ids = three_and_two
    login(member)
    response = post_change(
        client, playbook.id, _move_url(playbook, ids["A"]), {"position": "2"}, json=True
    )
    assert response.status_code == 200
    assert response.json == {"ok": True, "version": 7}
    assert reload(playbook.id).version == 7
    assert _titles(playbook.id)[0] == ["B", "C", "A"]
    # The next move is based on the version the answer gave.
    response = post_change(
        client, playbook.id, _move_url(playbook, ids["B"]), {"position": "5"}, version=7, json=True
    )
    assert response.json == {"ok": True, "version": 8}
    # A move based on an older version is merged: C was dropped after A in the order
    # its page showed ([B, C, A]), so it goes after A in today's order ([A, B]).
    response = post_change(
        client, playbook.id, _move_url(playbook, ids["C"]), {"position": "5"}, version=7, json=True
    )
    assert response.json == {"ok": True, "version": 9}
    assert _titles(playbook.id)[0] == ["A", "C", "B"]


def test_section_moves_answer_json_too(client, login, member, three_and_two):
    playbook, _ = three_and_two
    section = playbook.sections[0]
    login(member)
    response = post_change(
        client,
        playbook.id,
        f"/playbooks/{playbook.id}/sections/{section.id}/move",
        {"position": "1"},
        json=True,
    )
    assert response.json == {"ok": True, "version": 7}
    assert [s.title for s in reload(playbook.id).sections][:2] == ["Our plays", "Our definition"]


# --- removing items ------------------------------------------------------------------


def test_owner_removes_an_item(client, login, member, three_and_two):
    playbook, ids = three_and_two
    login(member)
    url = f"/playbooks/{playbook.id}/items/{ids['B']}/delete"
    response = client.post(
        url, data=pressing(_detail(client, playbook.id), url), follow_redirects=True
    )
    assert response.status_code == 200
    assert "Removed “B”. The history keeps it if you need it back." in response.get_data(
        as_text=True
    )
    assert _titles(playbook.id)[0] == ["A", "C"]
    assert latest_revision(playbook.id).summary == "Removed “B” from “Our definition”"
    assert db.session.get(Item, ids["B"]) is None


def test_removing_without_a_version_is_a_bad_request(client, login, member, three_and_two):
    playbook, ids = three_and_two
    before = state_of(playbook.id)
    login(member)
    response = client.post(
        f"/playbooks/{playbook.id}/items/{ids['B']}/delete", data={"csrf_token": token_for(client)}
    )
    assert response.status_code == 400
    response = client.post(
        f"/playbooks/{playbook.id}/items/{ids['B']}/delete", data={"version": "6"}
    )
    assert response.status_code == 400  # no CSRF token
    assert state_of(playbook.id) == before


# --- sections ------------------------------------------------------------------------


def test_owner_adds_a_section(client, login, member):
    playbook = make_playbook(member)
    login(member)
    url = f"/playbooks/{playbook.id}/sections"
    data = form_posting_to(_detail(client, playbook.id), url)
    data["title"] = "  Family partnerships  "
    response = client.post(url, data=data)
    assert response.status_code == 302
    playbook = reload(playbook.id)
    assert [s.title for s in playbook.sections][-1] == "Family partnerships"
    assert [s.position for s in playbook.sections] == [0, 1, 2, 3, 4]
    assert response.location.endswith(f"#section-{playbook.sections[-1].id}")
    assert latest_revision(playbook.id).summary == "Added the section “Family partnerships”"


@pytest.mark.parametrize("title", ["", "   ", "s" * 121])
def test_section_needs_a_title(client, login, member, title):
    playbook = make_playbook(member)
    before = state_of(playbook.id)
    login(member)
    response = post_change(
        client,
        playbook.id,
        f"/playbooks/{playbook.id}/sections",
        {"title": title},
        follow_redirects=True,
    )
    assert "A section needs a title of up to 120 characters." in response.get_data(as_text=True)
    assert state_of(playbook.id) == before


def test_section_count_is_limited(client, login, member, monkeypatch):
    monkeypatch.setattr(services, "MAX_SECTIONS", 4)
    playbook = make_playbook(member)
    before = state_of(playbook.id)
    login(member)
    response = post_change(
        client,
        playbook.id,
        f"/playbooks/{playbook.id}/sections",
        {"title": "Fifth"},
        follow_redirects=True,
    )
    assert "A playbook holds at most 4 sections." in response.get_data(as_text=True)
    assert state_of(playbook.id) == before


def test_owner_renames_a_section(client, login, member):
    playbook = make_playbook(member)
    section = playbook.sections[2]
    login(member)
    url = f"/playbooks/{playbook.id}/sections/{section.id}/edit"
    page = get_page(
        client, "playbooks.section_edit", playbook_id=playbook.id, section_id=section.id
    )
    data = form_posting_to(page.get_data(as_text=True), url)
    assert data["title"] == "Team huddle"
    data["title"] = "Weekly huddle"
    assert client.post(url, data=data).status_code == 302
    assert reload(playbook.id).sections[2].title == "Weekly huddle"
    assert (
        latest_revision(playbook.id).summary
        == "Renamed the section “Team huddle” to “Weekly huddle”"
    )


@pytest.mark.parametrize(
    "title,message",
    [("", "This field is required."), ("r" * 121, "Field cannot be longer than 120 characters.")],
)
def test_renaming_to_a_bad_title_is_refused(client, login, member, title, message):
    playbook = make_playbook(member)
    section = playbook.sections[2]
    before = state_of(playbook.id)
    login(member)
    url = f"/playbooks/{playbook.id}/sections/{section.id}/edit"
    data = {**form_posting_to(client.get(url).get_data(as_text=True), url), "title": title}
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert message in field_error(check_page(response), "title")
    assert state_of(playbook.id) == before


def test_section_up_and_down_buttons(client, login, member):
    playbook = make_playbook(member)
    login(member)
    huddle = playbook.sections[2]
    url = f"/playbooks/{playbook.id}/sections/{huddle.id}/move"
    html = _detail(client, playbook.id)
    assert client.post(url, data=pressing(html, url, position=1)).status_code == 302  # up
    assert [s.title for s in reload(playbook.id).sections] == [
        "Our definition",
        "Team huddle",
        "Our plays",
        "Resources",
    ]
    html = _detail(client, playbook.id)
    client.post(url, data=pressing(html, url, position=2))  # down again
    assert [s.title for s in reload(playbook.id).sections] == [
        "Our definition",
        "Our plays",
        "Team huddle",
        "Resources",
    ]
    assert latest_revision(playbook.id).summary == "Moved the section “Team huddle”"
    first = playbook.sections[0]
    html = _detail(client, playbook.id)
    assert f"/sections/{first.id}/move" in html
    last = playbook.sections[-1]
    steps = {
        s.id: re.search(
            rf'action="/playbooks/{playbook.id}/sections/{s.id}/move".*?</form>', html, re.S
        ).group(0)
        for s in (first, last)
    }
    assert re.search(r'data-step="up" hidden>', steps[first.id])  # the first cannot go up
    assert re.search(r'data-step="down" hidden>', steps[last.id])  # the last cannot go down
    assert not re.search(r'data-step="down" hidden>', steps[first.id])


@pytest.mark.parametrize(
    "position,expected",
    [
        ("-5", ["Resources", "Our definition", "Our plays", "Team huddle"]),
        ("1000000", ["Our definition", "Our plays", "Team huddle", "Resources"]),
        ("1", ["Our definition", "Resources", "Our plays", "Team huddle"]),
    ],
)
def test_section_positions_are_clamped(client, login, member, position, expected):
    playbook = make_playbook(member)
    section = playbook.sections[3]
    login(member)
    response = post_change(
        client,
        playbook.id,
        f"/playbooks/{playbook.id}/sections/{section.id}/move",
        {"position": position},
    )
    assert response.status_code == 302
    playbook = reload(playbook.id)
    assert [s.title for s in playbook.sections] == expected
    assert [s.position for s in playbook.sections] == [0, 1, 2, 3]


def test_bad_section_move_is_refused(client, login, member):
    playbook = make_playbook(member)
    before = state_of(playbook.id)
    login(member)
    url = f"/playbooks/{playbook.id}/sections/{playbook.sections[0].id}/move"
    response = post_change(client, playbook.id, url, {"position": "first"}, follow_redirects=True)
    assert "That move is not possible." in response.get_data(as_text=True)
    assert state_of(playbook.id) == before


def test_removing_a_section_removes_its_items_and_the_history_keeps_them(
    client, login, member, three_and_two
):
    playbook, ids = three_and_two
    login(member)
    section = playbook.sections[0]
    url = f"/playbooks/{playbook.id}/sections/{section.id}/delete"
    response = client.post(
        url, data=pressing(_detail(client, playbook.id), url), follow_redirects=True
    )
    assert "Removed “Our definition”. Its items are kept in the history" in response.get_data(
        as_text=True
    )
    playbook = reload(playbook.id)
    assert [s.title for s in playbook.sections] == ["Our plays", "Team huddle", "Resources"]
    assert [s.position for s in playbook.sections] == [0, 1, 2]
    assert all(db.session.get(Item, ids[t]) is None for t in "ABC")
    revision = latest_revision(playbook.id)
    assert revision.summary == "Removed the section “Our definition” (3 items)"
    from playbook.playbooks import revisions

    before = revisions.get_revision(playbook, revision.number - 1)
    assert [i["title"] for i in before.snapshot["sections"][0]["items"]] == ["A", "B", "C"]


def test_section_ids_from_elsewhere_or_deleted_are_404(client, login, member, intruder):
    mine = make_playbook(member)
    theirs = make_playbook(intruder)
    p = reload(mine.id)
    removed = p.sections[3].id
    services.remove_section(member, p, p.sections[3], base_version=p.version)
    before = state_of(mine.id), state_of(theirs.id)
    login(member)
    token = token_for(client)
    for section_id in (theirs.sections[0].id, removed, 999999):
        assert client.get(f"/playbooks/{mine.id}/sections/{section_id}/edit").status_code == 404
        for action, data in (
            ("edit", {"title": "X"}),
            ("move", {"position": "0"}),
            ("delete", {}),
            ("notes/new", {"title": "X"}),
        ):
            response = client.post(
                f"/playbooks/{mine.id}/sections/{section_id}/{action}",
                data={"csrf_token": token, "version": "2", **data},
            )
            assert response.status_code == 404, (section_id, action)
    assert (state_of(mine.id), state_of(theirs.id)) == before


def test_scripts_get_json_answers_when_refused(client, login, intruder, three_and_two):
    playbook, ids = three_and_two
    url = _move_url(playbook, ids["A"])
    json_headers = {"Accept": "application/json"}
    before = state_of(playbook.id)
    response = client.post(url, data={"version": "6", "position": "1"}, headers=json_headers)
    assert response.status_code == 400 and response.json["ok"] is False  # no CSRF token
    login(intruder)
    response = client.post(
        url,
        data={"csrf_token": token_for(client), "version": "6", "position": "1"},
        headers=json_headers,
    )
    assert response.status_code == 404 and response.json["ok"] is False
    assert state_of(playbook.id) == before


def test_a_signed_out_script_is_told_to_sign_in_again(client, three_and_two):
    playbook, ids = three_and_two
    response = client.post(
        _move_url(playbook, ids["A"]),
        headers={"Accept": "application/json"},
        data={"csrf_token": token_for(client), "version": "6", "position": "1"},
    )
    assert response.status_code == 401 and response.json == {
        "ok": False,
        "error": "Please sign in again.",
    }


def test_saving_the_item_form_unchanged_keeps_everything(client, login, member, with_play):
    playbook, item_id = with_play
    element = seeded_framework().components[3].elements[1]
    p = reload(playbook.id)
    item = next(i for s in p.sections for i in s.items if i.id == item_id)
    services.update_item(
        member,
        p,
        item,
        base_version=p.version,
        title="Our name for it",
        notes="Our *twist*",
        status="adopted",
        owner_id=member.id,
        target_date=date(2027, 9, 1),
        element_id=element.id,
    )
    before = state_of(playbook.id)["snapshot"]
    login(member)
    url = _edit_url(playbook.id, item_id)
    assert (
        client.post(
            url, data=form_posting_to(client.get(url).get_data(as_text=True), url)
        ).status_code
        == 302
    )
    assert state_of(playbook.id)["snapshot"] == before
    assert reload(playbook.id).version == 4
