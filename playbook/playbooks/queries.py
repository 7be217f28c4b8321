"""Reads for playbook pages: the page itself in a fixed number of queries, the
coverage map and the progress counts (computed in Python from what is loaded)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from playbook.extensions import db
from playbook.models import (
    Component, Element, Framework, Item, ItemKind, ItemStatus, Membership, Play, Playbook, Section, User,
)


def load_playbook_page(playbook_id: int) -> Playbook | None:
    """A playbook with members, framework (components, elements), sections and items
    (and what they point at): the same number of queries for 5 items or 500."""
    return db.session.scalar(
        select(Playbook).where(Playbook.id == playbook_id).options(
            joinedload(Playbook.framework).selectinload(Framework.components).selectinload(Component.elements),
            joinedload(Playbook.forked_from),
            selectinload(Playbook.memberships).joinedload(Membership.user),
            selectinload(Playbook.sections).selectinload(Section.items).options(
                joinedload(Item.play).selectinload(Play.components),
                joinedload(Item.resource),
                joinedload(Item.component),
                joinedload(Item.element),
                joinedload(Item.owner),
            ),
        )
    )


def fork_count(playbook: Playbook, viewer) -> int:
    """Live forks of this playbook that the viewer could read by membership or because
    they are public: a private fork's existence is not revealed to anyone else."""
    visible = Playbook.visibility == "public"
    if getattr(viewer, "id", None) is not None:
        visible = visible | Playbook.id.in_(select(Membership.playbook_id).where(Membership.user_id == viewer.id))
    return db.session.scalar(select(func.count()).select_from(Playbook).where(
        Playbook.forked_from_id == playbook.id, Playbook.deleted_at.is_(None), visible)) or 0


@dataclass
class CoverageRow:
    component: Component
    items: list[Item] = field(default_factory=list)
    elements: list[tuple[Element, list[Item]]] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.items)


def coverage(playbook: Playbook) -> list[CoverageRow]:
    """For each component of the adopted framework: the items that serve it (a play
    that names it, the component itself, or an item tied to one of its elements),
    and per element the items tied to it. Retired items do not count."""
    if playbook.framework is None:
        return []
    rows = {c.id: CoverageRow(c) for c in playbook.framework.components}
    by_element: dict[int, list[Item]] = {}
    for section in playbook.sections:
        for item in section.items:
            if item.status is ItemStatus.RETIRED:
                continue
            served = set()
            if item.kind is ItemKind.PLAY and item.play is not None:
                served |= {c.id for c in item.play.components}
            if item.kind is ItemKind.COMPONENT and item.component_id:
                served.add(item.component_id)
            if item.element is not None:
                served.add(item.element.component_id)
                by_element.setdefault(item.element_id, []).append(item)
            for component_id in served & rows.keys():
                rows[component_id].items.append(item)
    for row in rows.values():
        row.elements = [(e, by_element.get(e.id, [])) for e in row.component.elements]
    return list(rows.values())


@dataclass
class Progress:
    counts: Counter
    total: int

    def share(self, status: ItemStatus) -> int:
        return round(100 * self.counts[status] / self.total) if self.total else 0


def progress(items) -> Progress:
    items = list(items)
    return Progress(Counter(item.status for item in items), len(items))


def all_items(playbook: Playbook) -> list[Item]:
    return [item for section in playbook.sections for item in section.items]


def list_my_playbooks(user: User, page: int = 1, per_page: int = 20, deleted: bool = False) -> Pagination:
    """Playbooks the user is a member of (or, with deleted, those they own in the bin)."""
    query = (select(Playbook).join(Membership).where(Membership.user_id == user.id)
             .options(selectinload(Playbook.framework)))
    if deleted:
        query = query.where(Playbook.deleted_at.is_not(None), Membership.role == "owner").order_by(Playbook.deleted_at.desc())
    else:
        query = query.where(Playbook.deleted_at.is_(None)).order_by(Playbook.updated_at.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def item_counts(playbook_ids: list[int]) -> dict[int, Counter]:
    """Status counts per playbook for a list page (one query)."""
    result: dict[int, Counter] = {pid: Counter() for pid in playbook_ids}
    if playbook_ids:
        rows = db.session.execute(select(Item.playbook_id, Item.status, func.count()).where(
            Item.playbook_id.in_(playbook_ids)).group_by(Item.playbook_id, Item.status))
        for playbook_id, status, count in rows:
            result[playbook_id][status] = count
    return result


def editable_sections(user: User) -> list[tuple[Playbook, list[Section]]]:
    """The user's playbooks they may edit, with their sections (for 'Add to playbook')."""
    playbooks = db.session.scalars(
        select(Playbook).join(Membership).where(
            Membership.user_id == user.id, Membership.role.in_(["owner", "editor"]), Playbook.deleted_at.is_(None))
        .options(selectinload(Playbook.sections)).order_by(Playbook.updated_at.desc())
    ).all()
    return [(p, list(p.sections)) for p in playbooks]
