"""A teammate removes the item someone is editing: the editor's save answers 409 with
everything they typed, ready to add back as a note; nothing is half-saved."""

from __future__ import annotations

from playbook.playbooks import services
from tests.factories import add_note, make_playbook, reload, revision_count, state_of
from tests.helpers import form_posting_to


def test_saving_an_item_a_teammate_removed_keeps_the_text(client, login, member):
    playbook = make_playbook(member)
    item_id = add_note(member, playbook.id, 1, "Reading buddies").id
    login(member)
    url = f"/playbooks/{playbook.id}/items/{item_id}/edit"
    data = form_posting_to(client.get(url).get_data(as_text=True), url)

    # Meanwhile a teammate removes the item.
    fresh = reload(playbook.id)
    item = next(i for s in fresh.sections for i in s.items if i.id == item_id)
    services.remove_item(member, fresh, item, base_version=fresh.version)
    before, revisions = state_of(playbook.id), revision_count(playbook.id)

    data.update(
        title="Reading buddies, grades 2 and 5", notes="Pair **older** readers with younger ones."
    )
    response = client.post(url, data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "removed while you were editing" in html
    assert (
        "Reading buddies, grades 2 and 5" in html
        and "Pair **older** readers with younger ones." in html
    )
    assert f'action="/playbooks/{playbook.id}/sections/' in html and "/notes/new" in html
    assert (state_of(playbook.id), revision_count(playbook.id)) == (before, revisions)


def test_opening_the_editor_of_a_removed_item_is_still_not_found(client, login, member):
    playbook = make_playbook(member)
    login(member)
    assert client.get(f"/playbooks/{playbook.id}/items/999/edit").status_code == 404
