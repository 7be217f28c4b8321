"""Rebuilding a playbook from a document (a revision's snapshot, a playbook being
forked or an imported file): finding the library entries it points at and replacing
the playbook's fields, sections and items. Used by revisions, forks and imports;
nothing here commits."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

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
    Play,
    Playbook,
    Resource,
    Scope,
    Section,
    User,
)
from playbook.playbooks import document
from playbook.sanitize import render_markdown

# What an item may point at in the library.
Target = TypeVar("Target", Play, Resource, Component)


def _lookup(
    kind: str, ref: dict[str, Any] | None, by_id: bool, framework: Framework | None
) -> Play | Resource | Component | None:
    if not ref:
        return None
    if kind == "play":
        return _find(Play, ref, by_id, framework)
    if kind == "resource":
        return _find(Resource, ref, by_id, framework)
    if kind == "component":
        return _find(Component, ref, by_id, framework)
    return None


def _find(
    model: type[Target], ref: dict[str, Any], by_id: bool, framework: Framework | None
) -> Target | None:
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
        if target is not None and not by_id and target.is_retired:
            target = None
    return target


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


def apply_details(playbook: Playbook, doc: dict, by_id: bool) -> list[str]:
    """Set the playbook's own fields from the document (a warning if its framework is
    missing). Sections and items are left alone; nothing is flushed."""
    playbook.title, playbook.scope = doc["title"], Scope(doc["scope"])
    playbook.organization, playbook.vision = doc.get("organization", ""), doc.get("vision", "")
    playbook.vision_html = render_markdown(playbook.vision)
    playbook.framework = _lookup_framework(doc.get("framework"), by_id)
    if doc.get("framework") and playbook.framework is None:
        return [f"The framework “{doc['framework'].get('name')}” is not in this library."]
    return []


def apply_document(playbook: Playbook, doc: dict, *, by_id: bool, keep_owners: bool) -> list[str]:
    """Replace the playbook's fields, sections and items with the document's. Returns
    warnings for library entries that no longer exist (kept as notes, nothing lost).

    `by_id` (restore, fork) finds library entries by id first, retired ones too; without
    it (import) only by slug, among entries still offered. `keep_owners` keeps item
    owners who are members. Neither flushes nor commits: the caller saves."""
    # The lookups below must not autoflush the half-applied playbook: every early
    # write of its row would bump the version once more than the one change this is.
    with db.session.no_autoflush:
        return _apply_unflushed(playbook, doc, by_id=by_id, keep_owners=keep_owners)


def _apply_unflushed(playbook: Playbook, doc: dict, *, by_id: bool, keep_owners: bool) -> list[str]:
    warnings = apply_details(playbook, doc, by_id)
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


def new_owned_playbook(
    actor: User, doc: dict, by_id: bool, forked_from: Playbook | None = None
) -> Playbook:
    """A new playbook with the document's own fields, owned by `actor`, flushed (it has
    an id) but without sections: apply_document() fills those. Not committed."""
    playbook = Playbook(created_by_id=actor.id, forked_from=forked_from)
    # Written with its final fields at version 1, so apply_document() leaves the row unchanged.
    apply_details(playbook, doc, by_id)
    playbook.memberships.append(Membership(user_id=actor.id, role=MemberRole.OWNER))
    db.session.add(playbook)
    db.session.flush()
    return playbook
