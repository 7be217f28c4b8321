"""A playbook's revisions: listing and reading them, comparing two, and restoring
an earlier one (which records a new revision)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from playbook.extensions import db
from playbook.models import Playbook, Revision, User
from playbook.permissions import Action, require
from playbook.playbooks import document, rebuild, services
from playbook.urls import database_id


def list_revisions(playbook: Playbook, page: int = 1, per_page: int = 30) -> Pagination:
    query = (
        select(Revision)
        .where(Revision.playbook_id == playbook.id)
        .options(selectinload(Revision.actor))
        .order_by(Revision.number.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_revision(playbook: Playbook, number) -> Revision | None:
    number = database_id(number)
    if number is None:
        return None
    return db.session.scalar(
        select(Revision).where(Revision.playbook_id == playbook.id, Revision.number == number)
    )


def revisions_since(playbook: Playbook, number: int | None) -> list[Revision]:
    """The changes made after version `number`, oldest first."""
    query = (
        select(Revision)
        .where(Revision.playbook_id == playbook.id)
        .options(selectinload(Revision.actor))
    )
    if number is not None:
        query = query.where(Revision.number > number)
    return list(db.session.scalars(query.order_by(Revision.number).limit(50)))


def merged_with(playbook_id: int, base_version: int | None, saved: Revision) -> str:
    """A sentence naming the teammates' changes that `saved` was merged with: those
    made after `base_version` (where the person started) and before it; "" if none."""
    if base_version is None or saved.number - 1 <= int(base_version):
        return ""
    others = list(
        db.session.scalars(
            select(Revision)
            .where(
                Revision.playbook_id == playbook_id,
                Revision.number > int(base_version),
                Revision.number < saved.number,
            )
            .options(selectinload(Revision.actor))
            .order_by(Revision.number)
            .limit(MERGED_NAMED + 1)
        )
    )
    named = [
        f"{r.actor.display_name if r.actor else 'someone'}’s change ({_lower_first(r.summary)})"
        for r in others[:MERGED_NAMED]
    ]
    more = saved.number - 1 - int(base_version) - len(named)
    if more > 0:
        named.append(f"{more} more")
    return "Merged with " + _and(named) + "."


MERGED_NAMED = 3


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True)
class DiffRow:
    kind: str  # equal, insert, delete, replace
    left: list[str]
    right: list[str]


def compare(old: dict, new: dict) -> list[DiffRow]:
    """Side-by-side line differences between two documents' Markdown renderings."""
    left = document.to_markdown(old).splitlines()
    right = document.to_markdown(new).splitlines()
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        a=left, b=right, autojunk=False
    ).get_opcodes():
        rows.append(DiffRow(tag, left[i1:i2], right[j1:j2]))
    return rows


def restore_revision(
    actor: User, playbook: Playbook, revision: Revision, *, base_version
) -> Revision:
    """Make the playbook look as it did at `revision`; the restore is a new revision."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    services.check_version(playbook, base_version)
    rebuild.apply_document(playbook, revision.snapshot, by_id=True, keep_owners=True)
    return services.save_change(actor, playbook, f"Restored version {revision.number}")
