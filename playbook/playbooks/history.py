"""Revisions, comparison, restore, fork and import: everything that rebuilds a
playbook from a document."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from flask import url_for
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from playbook.extensions import db
from playbook.models import (
    Component,
    Element,
    Framework,
    Item,
    ItemKind,
    ItemStatus,
    MemberRole,
    Membership,
    NotificationKind,
    Play,
    Playbook,
    Resource,
    Revision,
    Scope,
    Section,
    User,
)
from playbook.notifications import services as notifications
from playbook.permissions import Action, require
from playbook.playbooks import document, services
from playbook.sanitize import render_markdown
from playbook.urls import database_id

_MODELS = {"play": Play, "resource": Resource, "component": Component}


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


# --- rebuilding a playbook from a document -----------------------------------------


def _lookup(kind: str, ref: dict | None, by_id: bool, framework: Framework | None):
    if not ref or kind not in _MODELS:
        return None
    model = _MODELS[kind]
    target = db.session.get(model, ref["ref_id"]) if by_id and ref.get("ref_id") else None
    if target is None and ref.get("slug"):
        query = select(model).where(model.slug == ref["slug"])
        if model is Component:
            if framework is None:
                return None
            query = query.where(Component.framework_id == framework.id)
        target = db.session.scalar(query)
        # An import (matched by slug) offers only what the library offers today;
        # a restore (by id) may point at entries retired since.
        if target is not None and not by_id and _retired(target):
            target = None
    return target


def _retired(target) -> bool:
    framework = getattr(target, "framework", None)
    return bool(
        getattr(target, "is_retired", False) or (framework is not None and framework.is_retired)
    )


def _lookup_element(data: dict | None, by_id: bool, framework: Framework | None) -> Element | None:
    if not data or framework is None:
        return None
    element = (
        db.session.get(Element, data["element_id"]) if by_id and data.get("element_id") else None
    )
    if element is None:
        element = db.session.scalar(
            select(Element)
            .join(Component)
            .where(
                Component.framework_id == framework.id,
                Component.slug == data.get("component"),
                Element.name == data.get("name"),
            )
        )
    return (
        element if element is not None and element.component.framework_id == framework.id else None
    )


def _lookup_framework(data: dict | None, by_id: bool) -> Framework | None:
    if not data:
        return None
    framework = db.session.get(Framework, data["ref_id"]) if by_id and data.get("ref_id") else None
    if framework is None:
        framework = db.session.scalar(select(Framework).where(Framework.slug == data.get("slug")))
        if framework is not None and not by_id and framework.is_retired:
            framework = None
    return framework


def _apply_details(playbook: Playbook, doc: dict, by_id: bool) -> list[str]:
    """Set the playbook's own fields from the document (a warning if its framework is missing)."""
    playbook.title, playbook.scope = doc["title"], Scope(doc["scope"])
    playbook.organization, playbook.vision = doc.get("organization", ""), doc.get("vision", "")
    playbook.vision_html = render_markdown(playbook.vision)
    playbook.framework = _lookup_framework(doc.get("framework"), by_id)
    if doc.get("framework") and playbook.framework is None:
        return [f"The framework “{doc['framework'].get('name')}” is not in this library."]
    return []


def _apply(playbook: Playbook, doc: dict, *, by_id: bool, keep_owners: bool) -> list[str]:
    """Replace the playbook's fields, sections and items with the document's. Returns
    warnings for library entries that no longer exist (kept as notes, nothing lost)."""
    # The lookups below must not autoflush the half-applied playbook: every early
    # write of its row would bump the version once more than the one change this is.
    with db.session.no_autoflush:
        return _apply_unflushed(playbook, doc, by_id=by_id, keep_owners=keep_owners)


def _apply_unflushed(playbook: Playbook, doc: dict, *, by_id: bool, keep_owners: bool) -> list[str]:
    warnings = _apply_details(playbook, doc, by_id)
    members = {m.user_id for m in playbook.memberships}
    sections = []
    for s_pos, s_data in enumerate(doc["sections"]):
        section = Section(title=s_data["title"], position=s_pos)
        for i_pos, i_data in enumerate(s_data["items"]):
            kind = ItemKind(i_data["kind"])
            item = Item(
                playbook_id=playbook.id,
                kind=kind,
                position=i_pos,
                title=i_data.get("title", ""),
                notes=i_data.get("notes", ""),
                status=ItemStatus(i_data.get("status", "idea")),
                target_date=document.parse_date(i_data.get("target_date")),
            )
            item.notes_html = render_markdown(item.notes)
            if kind is not ItemKind.NOTE:
                target = _lookup(kind.value, i_data.get("ref"), by_id, playbook.framework)
                if target is None:
                    missing = (i_data.get("ref") or {}).get("title") or "an entry"
                    warnings.append(f"“{missing}” is not in this library; it is kept as a note.")
                    item.kind, item.title = ItemKind.NOTE, item.title or missing
                else:
                    setattr(item, kind.value, target)
            item.element = _lookup_element(i_data.get("element"), by_id, playbook.framework)
            if keep_owners and i_data.get("owner_id") in members:
                item.owner_id = i_data["owner_id"]
            section.items.append(item)
        sections.append(section)
    playbook.sections = sections
    return warnings


def restore_revision(
    actor: User, playbook: Playbook, revision: Revision, *, base_version
) -> Revision:
    """Make the playbook look as it did at `revision`; the restore is a new revision."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    services._check_version(playbook, base_version)
    _apply(playbook, revision.snapshot, by_id=True, keep_owners=True)
    return services._save(actor, playbook, f"Restored version {revision.number}")


def _new_owned_playbook(
    actor: User, doc: dict, by_id: bool, forked_from: Playbook | None = None
) -> Playbook:
    playbook = Playbook(created_by_id=actor.id, forked_from=forked_from)
    # Written with its final fields at version 1, so _apply() leaves the row unchanged.
    _apply_details(playbook, doc, by_id)
    playbook.memberships.append(Membership(user_id=actor.id, role=MemberRole.OWNER))
    db.session.add(playbook)
    db.session.flush()
    return playbook


def fork_playbook(actor: User, original: Playbook) -> Playbook:
    """Copy a playbook the actor can read into a new one they own, linked to the original."""
    require(actor, Action.PLAYBOOK_FORK, original)
    doc = document.snapshot(original)
    doc["title"] = f"{original.title} (copy)"[:200]
    playbook = _new_owned_playbook(actor, doc, by_id=True, forked_from=original)
    _apply(playbook, doc, by_id=True, keep_owners=False)
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


def import_playbook(actor: User, doc: dict) -> tuple[Playbook, list[str]]:
    """Create a new playbook owned by the actor from a validated export document."""
    require(actor, Action.PLAYBOOK_CREATE)
    playbook = _new_owned_playbook(actor, doc, by_id=False)
    warnings = _apply(playbook, doc, by_id=False, keep_owners=False)
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
