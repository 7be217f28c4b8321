"""Helpers shared by the playbook routes (not routes themselves): loading with a permission check, form
choices, and the conflict page."""

from __future__ import annotations

from typing import Literal, overload

from flask import abort, flash, get_flashed_messages, render_template, request
from flask_login import current_user
from markupsafe import Markup

from playbook import fragments
from playbook.extensions import db
from playbook.models import Item, Playbook, Section
from playbook.permissions import Action, checked_or_404
from playbook.playbooks import document, merge, queries, revisions, services
from playbook.playbooks.forms import NoteForm


def load(playbook_id: int, action: Action = Action.PLAYBOOK_EDIT) -> Playbook:
    """The playbook with everything an edit touches, checked for `action` (404 when hidden)."""
    return checked_or_404(services.load_playbook_for_change(playbook_id), action)


def section_of(playbook: Playbook, section_id: int) -> Section:
    return playbook.section_by_id(section_id) or abort(404)


@overload
def item_of(playbook: Playbook, item_id: int, missing_ok: Literal[False] = False) -> Item: ...
@overload
def item_of(playbook: Playbook, item_id: int, missing_ok: bool) -> Item | None: ...
def item_of(playbook: Playbook, item_id: int, missing_ok: bool = False) -> Item | None:
    """The playbook's item with this id; 404 when it has none (or None, if asked)."""
    for section in playbook.sections:
        for item in section.items:
            if item.id == item_id:
                return item
    if missing_ok:
        return None
    abort(404)


def item_exists(item_id: int) -> bool:
    return db.session.get(Item, item_id) is not None


def removed_meanwhile(
    playbook: Playbook,
    base_version: int | None,
    *,
    item_id: int | None = None,
    section_id: object = None,
) -> bool:
    """Whether the item (or section) was in the version the person's page showed
    (`base_version`) and is gone now: a teammate removed it meanwhile. An id that
    was never in that version stays a 404."""
    if base_version is None or not 0 < base_version < playbook.version:
        return False
    base = merge.load_base(playbook.id, base_version)
    if base is None:
        return False
    if item_id is not None:
        return item_id in base.items and item_of(playbook, item_id, missing_ok=True) is None
    return (
        isinstance(section_id, int)
        and section_id in base.sections
        and playbook.section_by_id(section_id) is None
    )


def item_for_change(playbook: Playbook, item_id: int, base_version: int | None) -> Item:
    """The playbook's item a move names; Conflict when a teammate removed it."""
    if removed_meanwhile(playbook, base_version, item_id=item_id):
        raise services.Conflict(playbook.id, base_version, "an item that was removed")
    return item_of(playbook, item_id)


def section_for_change(playbook: Playbook, section_id: object, base_version: int | None) -> Section:
    """The playbook's section a move names; Conflict when a teammate removed it."""
    if removed_meanwhile(playbook, base_version, section_id=section_id):
        raise services.Conflict(playbook.id, base_version, "a section that was removed")
    return (playbook.section_by_id(section_id) if isinstance(section_id, int) else None) or abort(
        404
    )


def item_gone_page(playbook: Playbook):
    """A teammate removed the item while this person was editing it: nothing they
    typed is lost. Their text comes back in a form that adds it as a note (409)."""
    form = NoteForm(
        formdata=None,
        data={
            "title": (request.form.get("title") or "A removed item")[:200],
            "notes": request.form.get("notes", ""),
        },
    )
    section = playbook.sections[0] if playbook.sections else None
    return render_template(
        "playbooks/item_gone.html",
        title="This item was removed",
        playbook=playbook,
        section=section,
        form=form,
    ), 409


# The flash category of a "saved" notice that belongs next to one element of the
# playbook page ("saved-at:item-12"); elsewhere it shows at the top like any other.
SAVED_AT = "saved-at:"


def flash_saved(
    playbook: Playbook, base_version: int | None, revision, message: str, at: str = ""
) -> None:
    """Tell the person their change was saved, and with whose changes it was merged:
    next to the element with id `at` on the playbook page when given, else at the top."""
    merged = revisions.merged_with(playbook.id, base_version, revision) if revision else ""
    flash(" ".join(part for part in (message, merged) if part), SAVED_AT + at if at else "success")


def place_saved_notices(part: Markup) -> tuple[Markup, list[str]]:
    """The playbook page's shared part with this person's "saved" notices put next to
    the items (or sections) they are about, and the flash categories so placed (the
    flash area at the top leaves those out). The part as kept is never changed."""
    placed = []
    flashed: list[tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
    for category, message in flashed:
        if not category.startswith(SAVED_AT):
            continue
        notice = Markup('<p class="flash flash-success saved-notice" role="status">{}</p>')
        found = fragments.place(part, category[len(SAVED_AT) :], notice.format(message))
        if found is not None:
            part = found
            placed.append(category)
    return part, placed


def owner_choices(playbook: Playbook) -> list[tuple[int, str]]:
    return [(m.user_id, m.user.display_name) for m in playbook.memberships]


def element_choices(playbook: Playbook) -> list[tuple[int, str]]:
    if playbook.framework is None:
        return []
    return [
        (e.id, f"{c.name}: {e.name}") for c in playbook.framework.components for e in c.elements
    ]


def conflict_page(conflict: services.Conflict, form, template: str | None, **context):
    """Status 409: what overlapped, what changed since the version the user started
    from, and their unsaved input in the same form, now based on the current version."""
    base_version = conflict.base_version
    playbook = queries.load_playbook_page(conflict.playbook_id, current_user) or abort(404)
    base = revisions.get_revision(playbook, base_version) if base_version else None
    changes = revisions.revisions_since(playbook, base_version)
    diff = revisions.compare(base.snapshot, document.snapshot(playbook)) if base else []
    if form is not None and hasattr(form, "version"):
        form.version.data = playbook.version
    return render_template(
        "playbooks/conflict.html",
        title="Someone changed this playbook meanwhile",
        playbook=playbook,
        changes=changes,
        diff=diff,
        overlap=conflict.overlap,
        form=form,
        form_template=template,
        **context,
    ), 409
