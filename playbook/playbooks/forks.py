"""Forking: copying a playbook the actor can read into a new one they own."""

from __future__ import annotations

from flask import url_for

from playbook.extensions import db
from playbook.models import MemberRole, NotificationKind, Playbook, Revision, User
from playbook.notifications import services as notifications
from playbook.permissions import Action, require
from playbook.playbooks import document, rebuild


def fork_playbook(actor: User, original: Playbook) -> Playbook:
    """Copy a playbook the actor can read into a new one they own, linked to the original."""
    require(actor, Action.PLAYBOOK_FORK, original)
    doc = document.snapshot(original)
    doc["title"] = f"{original.title} (copy)"[:200]
    playbook = rebuild.new_owned_playbook(actor, doc, by_id=True, forked_from=original)
    rebuild.apply_document(playbook, doc, by_id=True, keep_owners=False)
    db.session.add(
        Revision(
            playbook_id=playbook.id,
            number=playbook.version,
            actor_id=actor.id,
            summary=f"Forked from “{original.title}”",
            snapshot=document.snapshot(playbook),
        )
    )
    for membership in original.memberships:
        if membership.role is MemberRole.OWNER and membership.user_id != actor.id:
            notifications.notify(
                membership.user,
                NotificationKind.FORKED,
                f"{actor.display_name} made a copy (fork) of “{original.title}”.",
                link=url_for("playbooks.detail", playbook_id=original.id),
                playbook_id=original.id,
            )
    db.session.commit()
    return playbook
