"""Changing an item's status from My work. The change itself is the playbook's own
(playbooks.services.set_item_status: version check and merge, revision, page cache);
this module finds the item and words the outcome."""

from __future__ import annotations

from dataclasses import dataclass

from playbook.extensions import db
from playbook.models import Item, ItemStatus, Playbook, User
from playbook.playbooks import revisions
from playbook.playbooks import services as playbook_services


@dataclass(frozen=True)
class Outcome:
    saved: bool
    message: str


def item_in(playbook: Playbook, item_id: int) -> Item | None:
    """The playbook's item with this id (the playbook as loaded for a change)."""
    return next((i for s in playbook.sections for i in s.items if i.id == item_id), None)


def item_exists(item_id: int) -> bool:
    return db.session.get(Item, item_id) is not None


def change_status(
    actor: User, playbook: Playbook, item: Item, base_version: int | None, status: str
) -> Outcome:
    """Set the item's status, merged with what teammates saved since `base_version`.
    A teammate who changed the same status meanwhile wins: nothing is saved, and the
    person is told what it is now."""
    playbook_id, item_id, title = playbook.id, item.id, item.display_title
    label = ItemStatus(status).label
    try:
        revision = playbook_services.set_item_status(
            actor, playbook, item, base_version=base_version, status=status
        )
    except playbook_services.Conflict:
        current = db.session.get(Item, item_id)
        if current is None:
            return Outcome(False, f"“{title}” was removed from its playbook meanwhile.")
        return Outcome(
            False,
            f"Not saved: a teammate changed the status of “{title}” while you had this page "
            f"open. It is now {current.status.label}; choose again if it should be {label}.",
        )
    if revision is None:
        return Outcome(True, f"“{title}” is {label}.")
    merged = revisions.merged_with(playbook_id, base_version, revision)
    return Outcome(True, " ".join(p for p in (f"Saved: “{title}” is now {label}.", merged) if p))
