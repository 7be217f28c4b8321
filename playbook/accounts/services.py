"""Changes to a member's own account. Services commit; routes never do."""

from __future__ import annotations

from playbook.extensions import db
from playbook.models import User
from playbook.permissions import Action, require


def update_profile(actor: User, display_name: str, organization: str, role_title: str) -> None:
    """The member edits their own name, organization and role title."""
    require(actor, Action.ACCOUNT_EDIT, actor)
    actor.display_name = display_name.strip()
    actor.organization = (organization or "").strip()
    actor.role_title = (role_title or "").strip()
    db.session.commit()
