"""The gallery of public playbooks and "who's using it" on play and resource pages:
only public, live playbooks are ever named; others appear at most as a count."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from playbook.extensions import db
from playbook.models import Playbook, utcnow
from playbook.playbooks import forks, services
from tests import factories
from tests.helpers import check_page

# --- helpers ------------------------------------------------------------------------


def set_visibility(playbook_id: int, visibility: str) -> None:
    db.session.execute(
        update(Playbook).where(Playbook.id == playbook_id).values(visibility=visibility)
    )
    db.session.commit()


def set_updated(playbook_id: int, days_ago: int) -> None:
    db.session.execute(
        update(Playbook)
        .where(Playbook.id == playbook_id)
        .values(updated_at=utcnow() - timedelta(days=days_ago))
    )
    db.session.commit()


def gallery(client, **args) -> str:
    response = client.get("/gallery/", query_string=args)
    assert response.status_code == 200, response.status_code
    return html_lib.unescape(check_page(response))


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="/playbooks/\d+">([^<]+)</a></h2>', html)


def card_of(html: str, title: str) -> str:
    for card in re.findall(r'<article class="card">(.*?)</article>', html, re.S):
        if f">{title}</a>" in card:
            return re.sub(r"\s+", " ", card)
    raise AssertionError(f"no card for {title}")


def add(owner, playbook_id: int, kind: str, ref_id=None, title: str = "") -> int:
    playbook = services.load_playbook_for_change(playbook_id)
    item = services.add_item(
        owner, playbook, playbook.sections[1], kind=kind, ref_id=ref_id, title=title
    )
    return item.id


def set_status(owner, playbook_id: int, item_id: int, status: str) -> None:
    playbook = services.load_playbook_for_change(playbook_id)
    item = next(i for s in playbook.sections for i in s.items if i.id == item_id)
    services.update_item(
        owner,
        playbook,
        item,
        base_version=playbook.version,
        title=item.title,
        notes=item.notes,
        status=status,
    )


def fork_of(actor, playbook_id: int, visibility: str = "private") -> int:
    original = services.load_playbook_for_change(playbook_id)
    copy = forks.fork_playbook(actor, original)
    set_visibility(copy.id, visibility)
    return copy.id


@pytest.fixture
def world(app, member, other_member, intruder):
    """Two frameworks; a play covering component A1; playbooks of every visibility."""
    fw_a = factories.make_framework(components=2, name="Framework Alpha")
    fw_b = factories.make_framework(components=1, name="Framework Beta")
    a0, a1 = fw_a.components
    (b0,) = fw_b.components
    play = factories.make_play(fw_a, title="Peer Reading Circles", component_ids=[a1.id])
    resource = factories.make_resource(title="Fluency Rubric")
    ids = {
        "fw_a": fw_a.id,
        "fw_b": fw_b.id,
        "a0": a0.id,
        "a1": a1.id,
        "b0": b0.id,
        "play": play.id,
        "resource": resource.id,
    }

    def book(owner, title, visibility, **fields):
        playbook = factories.make_playbook(owner, title=title, **fields)
        set_visibility(playbook.id, visibility)
        return playbook.id

    ids["river"] = book(
        member,
        "Riverside Literacy Plan",
        "public",
        organization="Riverside District",
        scope="district",
        framework_id=fw_a.id,
    )
    play_item = add(member, ids["river"], "play", play.id)
    add(member, ids["river"], "resource", resource.id)
    note = add(member, ids["river"], "note", title="Parent night")
    set_status(member, ids["river"], play_item, "adopted")
    set_status(member, ids["river"], note, "planned")

    ids["hill"] = book(
        other_member,
        "Hillside Math Playbook",
        "public",
        organization="Hillside Elementary",
        scope="school",
        framework_id=fw_b.id,
    )
    add(other_member, ids["hill"], "component", b0.id)

    ids["oak"] = book(
        other_member,
        "Oak Classroom Routines",
        "public",
        organization="Oak Academy",
        scope="classroom",
        framework_id=fw_a.id,
    )
    add(other_member, ids["oak"], "component", a0.id)

    ids["secret"] = book(
        intruder,
        "Secret Turnaround Plan",
        "private",
        organization="Hidden Charter",
        framework_id=fw_a.id,
    )
    add(intruder, ids["secret"], "play", play.id)
    add(intruder, ids["secret"], "resource", resource.id)

    ids["linked"] = book(
        intruder, "Linked Board Draft", "link", organization="Board Office", framework_id=fw_a.id
    )
    add(intruder, ids["linked"], "play", play.id)

    ids["binned"] = book(
        member,
        "Binned Public Plan",
        "public",
        organization="Riverside District",
        framework_id=fw_a.id,
    )
    add(member, ids["binned"], "play", play.id)
    add(member, ids["binned"], "resource", resource.id)
    services.delete_playbook(member, services.load_playbook_for_change(ids["binned"]))

    for key, days in (("river", 3), ("hill", 1), ("oak", 2)):
        set_updated(ids[key], days)
    return ids


PUBLIC = ["Hillside Math Playbook", "Oak Classroom Routines", "Riverside Literacy Plan"]
HIDDEN = [
    "Secret Turnaround Plan",
    "Linked Board Draft",
    "Binned Public Plan",
    "Hidden Charter",
    "Board Office",
]


# --- the gallery ---------------------------------------------------------------------


def test_gallery_lists_only_public_live_playbooks(app, client, world):
    html = gallery(client)
    assert sorted(card_titles(html)) == PUBLIC
    assert "3 playbooks" in html
    for hidden in HIDDEN:
        assert hidden not in html


def test_gallery_hides_the_same_from_signed_in_members_of_private_playbooks(
    app, client, login, intruder, world
):
    login(intruder)
    html = gallery(client)
    assert sorted(card_titles(html)) == PUBLIC
    for hidden in HIDDEN:
        assert hidden not in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("riverside", ["Riverside Literacy Plan"]),  # title, any case
        ("HILLSIDE ELEM", ["Hillside Math Playbook"]),  # organization
        ("academy", ["Oak Classroom Routines"]),
        ("playbook", ["Hillside Math Playbook"]),
        ("secret", []),  # a private title finds nothing
        ("hidden charter", []),  # nor a private organization
        ("board", []),  # nor a link-shared one
        ("binned", []),  # nor one in the bin
    ],
)
def test_gallery_search_by_title_and_organization(app, client, world, query, expected):
    html = gallery(client, q=query)
    assert sorted(card_titles(html)) == expected
    if not expected:
        assert "No public playbook matches yet." in html


def test_gallery_search_treats_wildcards_as_text(app, client, world):
    assert card_titles(gallery(client, q="%")) == []
    assert card_titles(gallery(client, q="_")) == []


@pytest.mark.parametrize(
    "scope, expected",
    [
        ("district", ["Riverside Literacy Plan"]),
        ("school", ["Hillside Math Playbook"]),
        ("classroom", ["Oak Classroom Routines"]),
        ("network", []),
    ],
)
def test_gallery_filter_by_scope(app, client, world, scope, expected):
    assert sorted(card_titles(gallery(client, scope=scope))) == expected


def test_gallery_filter_by_framework(app, client, world):
    assert sorted(card_titles(gallery(client, framework=world["fw_a"]))) == [
        "Oak Classroom Routines",
        "Riverside Literacy Plan",
    ]
    assert card_titles(gallery(client, framework=world["fw_b"])) == ["Hillside Math Playbook"]


def test_gallery_filter_by_component_coverage(app, client, world):
    # A1 is covered through the play that serves it; A0 and B0 by a component item.
    assert card_titles(gallery(client, component=world["a1"])) == ["Riverside Literacy Plan"]
    assert card_titles(gallery(client, component=world["a0"])) == ["Oak Classroom Routines"]
    assert card_titles(gallery(client, component=world["b0"])) == ["Hillside Math Playbook"]
    assert card_titles(gallery(client, component=world["a1"], scope="school")) == []


def test_gallery_ignores_invalid_filters(app, client, world):
    html = gallery(client, scope="galaxy", framework="999999", component="abc", sort="random")
    assert sorted(card_titles(html)) == PUBLIC


def test_gallery_sorts_by_recently_updated_by_default(app, client, world):
    expected = ["Hillside Math Playbook", "Oak Classroom Routines", "Riverside Literacy Plan"]
    assert card_titles(gallery(client)) == expected
    assert card_titles(gallery(client, sort="updated")) == expected
    set_updated(world["river"], 0)
    assert card_titles(gallery(client))[0] == "Riverside Literacy Plan"


def test_gallery_sorts_by_most_forked_counting_only_public_live_forks(
    app, client, world, member, other_member, intruder, admin
):
    # Oak: two public forks. Riverside: one public fork, plus private, link and binned ones.
    fork_of(member, world["oak"], "public")
    fork_of(intruder, world["oak"], "public")
    fork_of(other_member, world["river"], "public")
    fork_of(intruder, world["river"], "private")
    fork_of(admin, world["river"], "private")
    fork_of(admin, world["river"], "link")
    binned = fork_of(intruder, world["river"], "public")
    services.delete_playbook(intruder, services.load_playbook_for_change(binned))

    html = gallery(client, sort="forks")
    titles = card_titles(html)
    assert titles[:2] == ["Oak Classroom Routines", "Riverside Literacy Plan"]
    assert (
        titles.index("Oak Classroom Routines")
        < titles.index("Riverside Literacy Plan")
        < titles.index("Hillside Math Playbook")
    )
    assert "2 forks" in card_of(html, "Oak Classroom Routines")
    assert "· 1 fork ·" in card_of(html, "Riverside Literacy Plan")
    assert "· 0 forks ·" in card_of(html, "Hillside Math Playbook")
    # Private and link forks are never listed.
    assert html.count("Riverside Literacy Plan (copy)") == 1


def test_gallery_card_shows_organization_scope_progress_and_forks(app, client, world, other_member):
    fork_of(other_member, world["river"], "public")
    card = card_of(gallery(client), "Riverside Literacy Plan")
    assert "Riverside District" in card
    assert "District" in card.replace("Riverside District", "")
    assert "Framework Alpha" in card
    assert "1 fork ·" in card
    assert "3 items" in card and "Idea: 1" in card and "Planned: 1" in card and "Adopted: 1" in card
    assert "Piloting" not in card
    card = card_of(gallery(client), "Hillside Math Playbook")
    assert "Hillside Elementary · School" in card and "1 item" in card and "0 forks" in card


def test_gallery_cards_link_to_readable_playbooks(app, client, world):
    html = gallery(client)
    for playbook_id in re.findall(r'<h2 class="card-title"><a href="/playbooks/(\d+)">', html):
        assert client.get(f"/playbooks/{playbook_id}").status_code == 200


def test_gallery_paginates(app, client, member):
    for n in range(25):
        playbook = factories.make_playbook(member, title=f"Public book {n:02d}")
        set_visibility(playbook.id, "public")
    first = gallery(client)
    second = gallery(client, page=2)
    assert len(card_titles(first)) == 20 and len(card_titles(second)) == 5
    assert "25 playbooks" in first
    assert not set(card_titles(first)) & set(card_titles(second))


def test_empty_gallery(app, client):
    html = gallery(client)
    assert "0 playbooks" in html and "No public playbook matches yet." in html


def test_playbook_leaves_the_gallery_when_made_private(app, client, world, member):
    from playbook.playbooks import sharing

    playbook = services.load_playbook_for_change(world["river"])
    sharing.set_visibility(member, playbook, "private")
    assert "Riverside Literacy Plan" not in gallery(client)


# --- who's using it ------------------------------------------------------------------


def using_section(html: str) -> str:
    match = re.search(r'<section aria-labelledby="using-heading">(.*?)</section>', html, re.S)
    assert match, "no Who's using it section"
    return re.sub(r"\s+", " ", match.group(1))


def test_play_page_lists_public_playbooks_and_counts_the_others(app, client, world):
    response = client.get(f"/library/plays/{world['play']}")
    assert response.status_code == 200
    html = html_lib.unescape(check_page(response))
    section = using_section(html)
    assert f'<a href="/playbooks/{world["river"]}">Riverside Literacy Plan</a>' in section
    assert "Riverside District" in section
    # The private and the link-shared one, without names; the binned one not at all.
    assert "Also in 2 playbooks that are not public." in section
    for hidden in HIDDEN:
        assert hidden not in html
    assert "Oak Classroom Routines" not in section and "Hillside Math Playbook" not in section


def test_resource_page_lists_public_playbooks_and_counts_the_others(app, client, world):
    response = client.get(f"/library/resources/{world['resource']}")
    assert response.status_code == 200
    html = html_lib.unescape(check_page(response))
    section = using_section(html)
    assert "Riverside Literacy Plan" in section
    assert "Also in 1 playbook that is not public." in section
    for hidden in HIDDEN:
        assert hidden not in html


def test_members_of_a_private_playbook_still_see_only_a_count(app, client, login, intruder, world):
    login(intruder)
    html = html_lib.unescape(check_page(client.get(f"/library/plays/{world['play']}")))
    assert "Secret Turnaround Plan" not in using_section(html)
    assert "Linked Board Draft" not in using_section(html)


def test_play_used_only_privately_shows_just_a_count(app, client, world, intruder):
    private_only = factories.make_play(title="Quiet Play")
    playbook = factories.make_playbook(intruder, title="Another Secret Book")
    add(intruder, playbook.id, "play", private_only.id)
    html = html_lib.unescape(check_page(client.get(f"/library/plays/{private_only.id}")))
    section = using_section(html)
    assert "In 1 playbook that is not public." in section
    assert "Another Secret Book" not in html


def test_unused_play_says_so(app, client, world):
    unused = factories.make_play(title="Lonely Play")
    section = using_section(
        html_lib.unescape(check_page(client.get(f"/library/plays/{unused.id}")))
    )
    assert "No playbook includes it yet." in section


def test_fork_count_on_the_playbook_page_ignores_private_forks(app, client, world, intruder):
    fork_of(intruder, world["river"], "private")
    html = html_lib.unescape(check_page(client.get(f"/playbooks/{world['river']}")))
    assert "0 forks" in html
    assert "Riverside Literacy Plan (copy)" not in html
