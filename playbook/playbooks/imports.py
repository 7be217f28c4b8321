"""Importing: a new playbook owned by the actor, made from an export document that
playbook.playbooks.importer has read and checked."""

from __future__ import annotations

from playbook.extensions import db
from playbook.models import Playbook, Revision, User
from playbook.permissions import Action, require
from playbook.playbooks import document, rebuild


def import_playbook(actor: User, doc: dict) -> tuple[Playbook, list[str]]:
    """Create a new playbook owned by the actor from a validated export document."""
    require(actor, Action.PLAYBOOK_CREATE)
    playbook = rebuild.new_owned_playbook(actor, doc, by_id=False)
    warnings = rebuild.apply_document(playbook, doc, by_id=False, keep_owners=False)
    db.session.add(
        Revision(
            playbook_id=playbook.id,
            number=playbook.version,
            actor_id=actor.id,
            summary="Imported from a file",
            snapshot=document.snapshot(playbook),
        )
    )
    db.session.commit()
    return playbook, warnings
