"""Writes to playbooks: create, edit, sections, items, moves, bin, fork.

Services commit; routes never do. Every change goes through save_change(): it refuses a
change based on a stale version (Conflict), bumps the version atomically (the
UPDATE is guarded by the version the change was based on) and records a Revision
holding the whole document, so nothing a team wrote is ever silently lost."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from flask import url_for
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from playbook.extensions import db
from playbook.models import (
    DEFAULT_SECTIONS,
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
    utcnow,
)
from playbook.notifications import services as notifications
from playbook.permissions import Action, require
from playbook.playbooks import document
from playbook.sanitize import render_markdown
from playbook.urls import database_id

BIN_DAYS = 30
MAX_SECTIONS = 50
MAX_ITEMS = 1000


class Conflict(Exception):
    """The change was based on version `base_version`, but the playbook has moved on."""

    def __init__(self, playbook_id: int, base_version: int | None):
        super().__init__("The playbook changed since you opened it.")
        self.playbook_id = playbook_id
        self.base_version = base_version


class PlaybookError(ValueError):
    """Input the forms cannot catch: an id from elsewhere, a full playbook, and so on."""


# --- the one path every change takes ------------------------------------------------


def check_version(playbook: Playbook, base_version: int | None) -> None:
    """Raise Conflict unless the change was based on the playbook's current
    version (`base_version` from the form). Call before changing anything."""
    if base_version is None or int(base_version) != playbook.version:
        raise Conflict(playbook.id, base_version)


def save_change(actor: User, playbook: Playbook, summary: str) -> Revision:
    """Flush the change with the version guard, record the revision, commit. Every
    change to a playbook's content ends here; raises Conflict (rolled back) when a
    teammate saved first."""
    base_version = playbook.version  # what the change was checked against
    playbook.updated_at = utcnow()  # makes the row dirty, so the version is bumped
    try:
        db.session.flush()
        revision = Revision(
            playbook_id=playbook.id,
            number=playbook.version,
            actor_id=actor.id,
            summary=summary[:300],
            snapshot=document.snapshot(playbook),
        )
        db.session.add(revision)
        db.session.commit()
    except StaleDataError:
        # Someone saved after the version check: the conflict page shows what they did.
        db.session.rollback()
        raise Conflict(playbook.id, base_version) from None
    return revision


def _renumber(rows: Iterable[Section | Item]) -> None:
    for position, row in enumerate(rows):
        row.position = position


def _clamp(position: object, length: int) -> int:
    if not isinstance(position, (int, float, str)):
        return length
    try:
        number = int(position)
    except ValueError:
        return length
    return max(0, min(number, length))


# --- playbooks ---------------------------------------------------------------------


def _framework(framework_id: int | str | None) -> Framework | None:
    if not framework_id:
        return None
    framework = db.session.get(Framework, int(framework_id))
    if framework is None or framework.is_retired:
        raise PlaybookError("Choose one of the frameworks in the library.")
    return framework


def create_playbook(
    actor: User,
    *,
    title: str,
    scope: str,
    organization: str = "",
    vision: str = "",
    framework_id: int | str | None = None,
    sections: Iterable[str] = DEFAULT_SECTIONS,
) -> Playbook:
    """Start a playbook owned by `actor`, with the default sections."""
    require(actor, Action.PLAYBOOK_CREATE)
    playbook = Playbook(
        title=title.strip(),
        scope=Scope(scope),
        organization=(organization or "").strip(),
        vision=vision or "",
        vision_html=render_markdown(vision or ""),
        framework=_framework(framework_id),
        created_by_id=actor.id,
    )
    playbook.memberships.append(Membership(user_id=actor.id, role=MemberRole.OWNER))
    playbook.sections = [Section(title=title_, position=i) for i, title_ in enumerate(sections)]
    db.session.add(playbook)
    db.session.flush()
    db.session.add(
        Revision(
            playbook_id=playbook.id,
            number=playbook.version,
            actor_id=actor.id,
            summary="Created the playbook",
            snapshot=document.snapshot(playbook),
        )
    )
    db.session.commit()
    return playbook


def update_playbook(
    actor: User,
    playbook: Playbook,
    *,
    base_version: int | None,
    title: str,
    scope: str,
    organization: str,
    vision: str,
    framework_id: int | str | None = None,
) -> Revision:
    """Change the playbook's title, scope, organization, vision and framework."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    check_version(playbook, base_version)
    # Look the framework up before changing the row: the lookup's autoflush would
    # otherwise write the other fields first and bump the version twice.
    framework = _framework(framework_id)
    playbook.title, playbook.scope = title.strip(), Scope(scope)
    playbook.organization = (organization or "").strip()
    playbook.vision, playbook.vision_html = vision or "", render_markdown(vision or "")
    playbook.framework = framework
    return save_change(actor, playbook, "Edited the title, vision and details")


def delete_playbook(actor: User, playbook: Playbook) -> None:
    """Move the playbook to the bin; its owner can take it back for BIN_DAYS days."""
    require(actor, Action.PLAYBOOK_DELETE, playbook)
    _set_deleted_at(playbook, utcnow())


def restore_playbook(actor: User, playbook: Playbook) -> None:
    """Take a playbook out of the bin."""
    require(actor, Action.PLAYBOOK_RESTORE, playbook)
    _set_deleted_at(playbook, None)


def _set_deleted_at(playbook: Playbook, when: datetime | None) -> None:
    # A plain UPDATE, not a flush of the object: the bin is not part of the document,
    # so it must not bump the version (a version without a revision breaks the history).
    db.session.execute(update(Playbook).where(Playbook.id == playbook.id).values(deleted_at=when))
    db.session.commit()


def purge_deleted_playbooks(now: datetime | None = None) -> int:
    """Delete for good every playbook that has been in the bin for over BIN_DAYS days."""
    cutoff = (now or utcnow()) - timedelta(days=BIN_DAYS)
    ids = list(db.session.scalars(select(Playbook.id).where(Playbook.deleted_at < cutoff)))
    for playbook in db.session.scalars(select(Playbook).where(Playbook.id.in_(ids))):
        db.session.delete(playbook)
    db.session.commit()
    return len(ids)


# --- sections ----------------------------------------------------------------------


def add_section(
    actor: User, playbook: Playbook, *, base_version: int | None, title: str
) -> Section:
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    check_version(playbook, base_version)
    if len(playbook.sections) >= MAX_SECTIONS:
        raise PlaybookError(f"A playbook holds at most {MAX_SECTIONS} sections.")
    section = Section(title=title.strip(), position=len(playbook.sections))
    playbook.sections.append(section)
    save_change(actor, playbook, f"Added the section “{section.title}”")
    return section


def rename_section(
    actor: User, playbook: Playbook, section: Section, *, base_version: int | None, title: str
) -> None:
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    check_version(playbook, base_version)
    old, section.title = section.title, title.strip()
    save_change(actor, playbook, f"Renamed the section “{old}” to “{section.title}”")


def remove_section(
    actor: User, playbook: Playbook, section: Section, *, base_version: int | None
) -> None:
    """Remove a section and its items (the revision keeps them, so a restore brings them back)."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    check_version(playbook, base_version)
    playbook.sections.remove(section)
    _renumber(playbook.sections)
    save_change(
        actor, playbook, f"Removed the section “{section.title}” ({len(section.items)} items)"
    )


def move_section(
    actor: User, playbook: Playbook, section: Section, *, base_version: int | None, position: object
) -> None:
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    check_version(playbook, base_version)
    sections = [s for s in playbook.sections if s is not section]
    sections.insert(_clamp(position, len(sections)), section)
    if sections == list(playbook.sections):
        return  # already there: nothing to save, no revision
    _renumber(sections)
    playbook.sections.sort(key=lambda s: s.position)
    save_change(actor, playbook, f"Moved the section “{section.title}”")


# --- items -------------------------------------------------------------------------


def _get_target(kind: str, number: int) -> Play | Resource | Component | None:
    if kind == ItemKind.PLAY:
        return db.session.get(Play, number)
    if kind == ItemKind.RESOURCE:
        return db.session.get(Resource, number)
    if kind == ItemKind.COMPONENT:
        return db.session.get(Component, number)
    return None


def load_target(kind: str, ref_id: object) -> Play | Resource | Component:
    """The live library entry an item is about to point at (PlaybookError otherwise)."""
    number = database_id(ref_id)
    target = _get_target(kind, number) if number is not None else None
    if target is None or target.is_retired:
        raise PlaybookError("That library entry does not exist.")
    return target


def _count_items(playbook: Playbook) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Item).where(Item.playbook_id == playbook.id)
        )
        or 0
    )


def add_item(
    actor: User,
    playbook: Playbook,
    section: Section,
    *,
    kind: str,
    ref_id: object = None,
    title: str = "",
    notes: str = "",
) -> Item:
    """Append a play, resource, component or free-form note to a section. Appending
    overwrites nothing, so it needs no base version; it still makes a revision."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    if section.playbook_id != playbook.id:
        raise PlaybookError("That section belongs to another playbook.")
    if _count_items(playbook) >= MAX_ITEMS:
        raise PlaybookError(f"A playbook holds at most {MAX_ITEMS} items.")
    item = Item(
        playbook_id=playbook.id,
        kind=ItemKind(kind),
        position=len(section.items),
        title=(title or "").strip(),
        notes=notes or "",
        notes_html=render_markdown(notes or ""),
    )
    if item.kind is ItemKind.NOTE:
        if not item.title:
            raise PlaybookError("A note needs a title.")
    else:
        target = load_target(kind, ref_id)
        setattr(item, item.kind.value, target)
    section.items.append(item)
    save_change(actor, playbook, f"Added “{item.display_title}” to “{section.title}”")
    return item


def update_item(
    actor: User,
    playbook: Playbook,
    item: Item,
    *,
    base_version: int | None,
    title: str,
    notes: str,
    status: str,
    owner_id: int | str | None = None,
    target_date: date | None = None,
    element_id: int | str | None = None,
) -> None:
    """Change the team's own notes, status, owner, target date and element of an item."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    check_version(playbook, base_version)
    if item.kind is ItemKind.NOTE and not (title or "").strip():
        raise PlaybookError("A note needs a title.")
    item.title, item.notes = (title or "").strip(), notes or ""
    item.notes_html = render_markdown(item.notes)
    item.status = ItemStatus(status)
    # Set the relationships, not the ids: the revision snapshot reads item.owner and
    # item.element, which are already loaded and would otherwise still show the old ones.
    previous_owner_id = item.owner_id
    item.owner = _member(playbook, owner_id)
    item.target_date = target_date
    item.element = _element(playbook, element_id)
    owner = item.owner
    assigned = (
        owner if owner is not None and owner.id not in (previous_owner_id, actor.id) else None
    )
    if assigned:
        notifications.notify(
            assigned,
            NotificationKind.ITEM_ASSIGNED,
            f"{actor.display_name} made you the owner of “{item.display_title}” in “{playbook.title}”.",
            link=url_for("playbooks.detail", playbook_id=playbook.id, _anchor=f"item-{item.id}"),
            playbook_id=playbook.id,
        )
    save_change(actor, playbook, f"Edited “{item.display_title}”")


def _member(playbook: Playbook, user_id: int | str | None) -> User | None:
    if not user_id:
        return None
    membership = next((m for m in playbook.memberships if m.user_id == int(user_id)), None)
    if membership is None:
        raise PlaybookError("The owner must be a member of this playbook.")
    return membership.user


def _element(playbook: Playbook, element_id: int | str | None) -> Element | None:
    if not element_id:
        return None
    element = db.session.get(Element, int(element_id))
    if (
        element is None
        or playbook.framework_id is None
        or element.component.framework_id != playbook.framework_id
    ):
        raise PlaybookError("Choose an element of this playbook's framework.")
    return element


def remove_item(actor: User, playbook: Playbook, item: Item, *, base_version: int | None) -> None:
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    check_version(playbook, base_version)
    section = item.section
    section.items.remove(item)
    _renumber(section.items)
    save_change(actor, playbook, f"Removed “{item.display_title}” from “{section.title}”")


def move_item(
    actor: User,
    playbook: Playbook,
    item: Item,
    *,
    base_version: int | None,
    section: Section,
    position: object,
) -> None:
    """Move an item to `position` in `section` (positions are clamped to the list)."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    check_version(playbook, base_version)
    if section.playbook_id != playbook.id:
        raise PlaybookError("That section belongs to another playbook.")
    source = item.section
    source_items = [i for i in source.items if i is not item]
    target_items = source_items if section is source else list(section.items)
    target_items.insert(_clamp(position, len(target_items)), item)
    if section is source and target_items == list(source.items):
        return  # already there: nothing to save, no revision
    item.section = section
    _renumber(target_items)
    if section is not source:
        _renumber(source_items)
    for s in {source, section}:
        s.items.sort(key=lambda i: i.position)
    where = (
        f"within “{section.title}”"
        if section is source
        else f"from “{source.title}” to “{section.title}”"
    )
    save_change(actor, playbook, f"Moved “{item.display_title}” {where}")


def section_for_add(section_id: int) -> Section:
    """The section chosen in 'Add to playbook' (its playbook is checked by the caller)."""
    section = db.session.get(Section, section_id)
    if section is None:
        raise PlaybookError("That section does not exist.")
    return section


# --- loading for edits -------------------------------------------------------------


def load_playbook_for_change(playbook_id: int) -> Playbook | None:
    """The playbook with everything a snapshot reads, in a fixed number of queries."""
    return db.session.scalar(
        select(Playbook)
        .where(Playbook.id == playbook_id)
        .options(
            selectinload(Playbook.memberships),
            selectinload(Playbook.framework),
            selectinload(Playbook.sections)
            .selectinload(Section.items)
            .options(
                selectinload(Item.play),
                selectinload(Item.resource),
                selectinload(Item.component),
                selectinload(Item.element).selectinload(Element.component),
                selectinload(Item.owner),
            ),
        )
    )
