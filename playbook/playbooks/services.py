"""Writes to playbooks: create, edit, sections, items, moves, bin, fork.

Services commit; routes never do. Every change goes through save_change(): it bumps
the version atomically (the UPDATE is guarded by the version the change was checked
against) and records a Revision holding the whole document, so nothing a team wrote
is ever silently lost. A change made on an older version is merged field by field
(playbook.playbooks.merge) and retried when a teammate's save lands in between; only
a real overlap refuses it (Conflict)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

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
from playbook.playbooks import document, merge
from playbook.sanitize import render_markdown
from playbook.urls import database_id

BIN_DAYS = 30
MAX_SECTIONS = 50
MAX_ITEMS = 1000
# A merged save that loses the race to a teammate's commit is merged again on what
# they saved; this many times, then the person gets the conflict page.
SAVE_ATTEMPTS = 15


class Conflict(Exception):
    """The change was based on version `base_version`, but the playbook has moved on
    and the change cannot be merged: `overlap` names what both touched, when known."""

    def __init__(self, playbook_id: int, base_version: int | None, overlap: str | None = None):
        super().__init__("The playbook changed since you opened it.")
        self.playbook_id = playbook_id
        self.base_version = base_version
        self.overlap = overlap


class Raced(Exception):
    """A teammate's save was committed between loading the playbook and saving."""


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
    playbook_id, base_version = playbook.id, playbook.version
    try:
        return commit_revision(actor, playbook, summary)
    except Raced:
        raise Conflict(playbook_id, base_version) from None


def commit_revision(actor: User, playbook: Playbook, summary: str) -> Revision:
    """save_change's work; raises Raced (rolled back) when a teammate saved first."""
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
        db.session.rollback()
        raise Raced from None
    return revision


Change = Callable[[Playbook, "merge.Base | None"], "str | None"]


def save_merged(
    actor: User, playbook: Playbook, base_version: int | None, change: Change
) -> Revision | None:
    """Apply `change` and save it, merged with whatever teammates saved since
    `base_version` (the version the person's form was made from).

    `change(playbook, base)` makes the change on the playbook as it is now and
    returns the revision's summary, or None when there is nothing to save; `base` is
    None when nobody saved in between, else the document the person started from, to
    merge with (see merge.fields_to_write), and it raises merge.Overlap when the two
    touch the same thing. It finds its rows by id in the playbook it is given: when a
    teammate's commit lands between loading and saving, everything is rolled back,
    the playbook reloaded and `change` run again."""
    if base_version is None:
        raise Conflict(playbook.id, None)
    playbook_id, base_version = playbook.id, int(base_version)
    for attempt in range(SAVE_ATTEMPTS):
        try:
            summary = change(playbook, _base(playbook, base_version))
        except merge.Overlap as overlap:
            db.session.rollback()
            raise Conflict(playbook_id, base_version, overlap.what) from None
        except PlaybookError:
            db.session.rollback()
            raise
        if summary is None:
            db.session.rollback()
            return None
        try:
            return commit_revision(actor, playbook, summary)
        except Raced:
            # Losers of the same race wait a random while, longer each time, so that
            # they do not meet again in lockstep (a fixed wait let one of 16 editors
            # on a slow disk lose ten races in a row).
            time.sleep(0.001 * (1 + secrets.randbelow(10)) * (attempt + 1))
            reloaded = load_playbook_for_change(playbook_id)
            if reloaded is None:
                raise Conflict(playbook_id, base_version) from None
            playbook = reloaded
    raise Conflict(playbook_id, base_version)


def _base(playbook: Playbook, base_version: int) -> merge.Base | None:
    """None when the change was made on the current version; else the document it was
    made on (Conflict when that cannot be read: a version from the future, or a
    revision older than the ids that merging needs)."""
    if base_version == playbook.version:
        return None
    base = merge.load_base(playbook.id, base_version) if base_version < playbook.version else None
    if base is None:
        raise Conflict(playbook.id, base_version)
    return base


def _item_by_id(playbook: Playbook, item_id: int) -> Item | None:
    return next((i for s in playbook.sections for i in s.items if i.id == item_id), None)


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
) -> Revision | None:
    """Change the playbook's title, scope, organization, vision and framework (merged
    field by field with teammates' changes since `base_version`)."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    # Look the framework up before changing the row: the lookup's autoflush would
    # otherwise write the other fields first and bump the version twice.
    framework = _framework(framework_id)
    mine: dict[str, Any] = {
        "title": title.strip(),
        "scope": Scope(scope).value,
        "organization": (organization or "").strip(),
        "vision": vision or "",
        "framework_id": framework.id if framework else None,
    }

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        written = merge.fields_to_write(
            base.details if base else None, merge.detail_values(playbook), mine, "the playbook"
        )
        if base is not None and not written:
            return None
        if "title" in written:
            playbook.title = mine["title"]
        if "scope" in written:
            playbook.scope = Scope(mine["scope"])
        if "organization" in written:
            playbook.organization = mine["organization"]
        if "vision" in written:
            playbook.vision, playbook.vision_html = mine["vision"], render_markdown(mine["vision"])
        if "framework_id" in written:
            playbook.framework = framework
        return "Edited the title, vision and details"

    return save_merged(actor, playbook, base_version, change)


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


def add_section(actor: User, playbook: Playbook, *, title: str) -> Section:
    """Append a section. Appending overwrites nothing, so it needs no base version."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    title, added = title.strip(), []

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        if len(playbook.sections) >= MAX_SECTIONS:
            raise PlaybookError(f"A playbook holds at most {MAX_SECTIONS} sections.")
        section = Section(title=title, position=len(playbook.sections))
        playbook.sections.append(section)
        added.append(section)
        return f"Added the section “{section.title}”"

    save_merged(actor, playbook, playbook.version, change)
    return added[-1]


def _section(playbook: Playbook, section_id: int, title: str) -> Section:
    """The playbook's section, or Overlap when a teammate removed it."""
    section = playbook.section_by_id(section_id)
    if section is None:
        raise merge.Overlap(f"the section “{title}”, which was removed")
    return section


def rename_section(
    actor: User, playbook: Playbook, section: Section, *, base_version: int | None, title: str
) -> Revision | None:
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    section_id, old_title, mine = section.id, section.title, {"title": title.strip()}

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        section = _section(playbook, section_id, old_title)
        written = merge.fields_to_write(
            base.sections.get(section_id, {"title": None}) if base else None,
            {"title": section.title},
            mine,
            f"the section “{section.title}”",
        )
        if base is not None and not written:
            return None
        old, section.title = section.title, mine["title"]
        return f"Renamed the section “{old}” to “{section.title}”"

    return save_merged(actor, playbook, base_version, change)


def remove_section(
    actor: User, playbook: Playbook, section: Section, *, base_version: int | None
) -> Revision | None:
    """Remove a section and its items (the revision keeps them, so a restore brings
    them back). Refused when a teammate changed the section or its items since."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    section_id = section.id

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        section = playbook.section_by_id(section_id)
        if section is None:
            return None  # a teammate removed it already
        if base is not None and _section_changed(base, section):
            raise merge.Overlap(f"the section “{section.title}”, which a teammate changed")
        playbook.sections.remove(section)
        _renumber(playbook.sections)
        return f"Removed the section “{section.title}” ({len(section.items)} items)"

    return save_merged(actor, playbook, base_version, change)


def _section_changed(base: merge.Base, section: Section) -> bool:
    seen = base.sections.get(section.id)
    return (
        seen is None
        or seen["title"] != section.title
        or seen["items"] != merge.section_items(section)
        or any(merge.changed_since(base.items[item.id], item) for item in section.items)
    )


def move_section(
    actor: User, playbook: Playbook, section: Section, *, base_version: int | None, position: object
) -> Revision | None:
    """Move a section to `position` (in the order the person saw, see merge.place)."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    section_id, title = section.id, section.title

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        section = _section(playbook, section_id, title)
        sections = [s for s in playbook.sections if s is not section]
        if base is None:
            index = _clamp(position, len(sections))
        else:
            seen = [s for s in base.section_order if s != section_id]
            index = merge.place(
                seen, [s.id for s in sections], section_id, _clamp(position, len(seen))
            )
        sections.insert(index, section)
        if sections == list(playbook.sections):
            return None  # already there: nothing to save, no revision
        _renumber(sections)
        playbook.sections.sort(key=lambda s: s.position)
        return f"Moved the section “{section.title}”"

    return save_merged(actor, playbook, base_version, change)


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
    overwrites nothing, so it needs no base version; it still makes a revision (and
    is made again on what a teammate saved, should their save land first)."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    if section.playbook_id != playbook.id:
        raise PlaybookError("That section belongs to another playbook.")
    item_kind = ItemKind(kind)
    title, notes = (title or "").strip(), notes or ""
    if item_kind is ItemKind.NOTE and not title:
        raise PlaybookError("A note needs a title.")
    target = None if item_kind is ItemKind.NOTE else load_target(kind, ref_id)
    section_id, section_title, added = section.id, section.title, []

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        section = _section(playbook, section_id, section_title)
        if _count_items(playbook) >= MAX_ITEMS:
            raise PlaybookError(f"A playbook holds at most {MAX_ITEMS} items.")
        item = Item(
            playbook_id=playbook.id,
            kind=item_kind,
            position=len(section.items),
            title=title,
            notes=notes,
            notes_html=render_markdown(notes),
        )
        if target is not None:
            setattr(item, item_kind.value, target)
        section.items.append(item)
        added.append(item)
        return f"Added “{item.display_title}” to “{section.title}”"

    save_merged(actor, playbook, playbook.version, change)
    return added[-1]


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
) -> Revision | None:
    """Change the team's own notes, status, owner, target date and element of an item
    (merged field by field with teammates' changes since `base_version`)."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    if item.kind is ItemKind.NOTE and not (title or "").strip():
        raise PlaybookError("A note needs a title.")
    item_id, seen_title = item.id, item.display_title
    mine = {
        "title": (title or "").strip(),
        "notes": notes or "",
        "status": ItemStatus(status).value,
        "owner_id": merge.form_id(owner_id),
        "target_date": merge.form_date(target_date),
        "element_id": merge.form_id(element_id),
    }

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        item, written = _item_fields_to_write(playbook, base, item_id, seen_title, mine)
        if base is not None and not written:
            return None
        _write_item(actor, playbook, item, written, mine, target_date)
        return f"Edited “{item.display_title}”"

    return save_merged(actor, playbook, base_version, change)


def set_item_status(
    actor: User, playbook: Playbook, item: Item, *, base_version: int | None, status: str
) -> Revision | None:
    """Change only an item's status (My work's form), on the same path as update_item:
    merged with teammates' changes since `base_version`, a Conflict when one of them
    changed the status meanwhile (or removed the item); None when nothing changed."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    item_id, seen_title, mine = item.id, item.display_title, {"status": ItemStatus(status).value}

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        item, written = _item_fields_to_write(playbook, base, item_id, seen_title, mine)
        if not written or item.status.value == mine["status"]:
            return None
        _write_item(actor, playbook, item, written, mine, item.target_date)
        return f"Set the status of “{item.display_title}” to {item.status.label}"

    return save_merged(actor, playbook, base_version, change)


def _item_fields_to_write(
    playbook: Playbook,
    base: merge.Base | None,
    item_id: int,
    seen_title: str,
    mine: dict[str, Any],
) -> tuple[Item, set[str]]:
    """The item as it is now and which of `mine` to write on it, merged field by field
    against `base` (the version the person read); Overlap when a teammate removed the
    item meanwhile or changed one of the same fields."""
    item = _item_by_id(playbook, item_id)
    if item is None or (base is not None and item_id not in base.items):
        raise merge.Overlap(f"“{seen_title}”, which was removed")
    written = merge.fields_to_write(
        base.items[item_id] if base else None,
        merge.item_values(item),
        mine,
        f"“{item.display_title}”",
    )
    return item, written


def _write_item(
    actor: User,
    playbook: Playbook,
    item: Item,
    written: set[str],
    mine: dict[str, Any],
    target_date: date | None,
) -> None:
    if "title" in written:
        item.title = mine["title"]
    if "notes" in written:
        item.notes, item.notes_html = mine["notes"], render_markdown(mine["notes"])
    if "status" in written:
        item.status = ItemStatus(mine["status"])
    if "target_date" in written:
        item.target_date = target_date
    # Set the relationships, not the ids: the revision snapshot reads item.owner and
    # item.element, which are already loaded and would otherwise still show the old ones.
    if "element_id" in written:
        item.element = _element(playbook, mine["element_id"])
    if "owner_id" in written:
        previous_owner_id = item.owner_id
        item.owner = owner = _member(playbook, mine["owner_id"])
        if owner is not None and owner.id not in (previous_owner_id, actor.id):
            notifications.notify(
                owner,
                NotificationKind.ITEM_ASSIGNED,
                f"{actor.display_name} made you the owner of “{item.display_title}” in “{playbook.title}”.",
                link=url_for(
                    "playbooks.detail", playbook_id=playbook.id, _anchor=f"item-{item.id}"
                ),
                playbook_id=playbook.id,
            )


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


def remove_item(
    actor: User, playbook: Playbook, item: Item, *, base_version: int | None
) -> Revision | None:
    """Remove an item (the revision keeps it). Refused when a teammate changed it since."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    item_id = item.id

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        item = _item_by_id(playbook, item_id)
        if item is None:
            return None  # a teammate removed it already
        if base is not None and (
            item_id not in base.items or merge.changed_since(base.items[item_id], item)
        ):
            raise merge.Overlap(f"“{item.display_title}”, which a teammate changed")
        section = item.section
        section.items.remove(item)
        _renumber(section.items)
        return f"Removed “{item.display_title}” from “{section.title}”"

    return save_merged(actor, playbook, base_version, change)


def move_item(
    actor: User,
    playbook: Playbook,
    item: Item,
    *,
    base_version: int | None,
    section: Section,
    position: object,
) -> Revision | None:
    """Move an item to `position` in `section` (positions are clamped to the list, and
    taken in the order the person saw: see merge.place)."""
    require(actor, Action.PLAYBOOK_EDIT, playbook)
    if section.playbook_id != playbook.id:
        raise PlaybookError("That section belongs to another playbook.")
    item_id, seen_title, target_id, target_title = (
        item.id,
        item.display_title,
        section.id,
        section.title,
    )

    def change(playbook: Playbook, base: merge.Base | None) -> str | None:
        item = _item_by_id(playbook, item_id)
        if item is None:
            raise merge.Overlap(f"“{seen_title}”, which was removed")
        section = _section(playbook, target_id, target_title)
        source = item.section
        if base is not None and base.items.get(item_id, {}).get("section_id") != source.id:
            raise merge.Overlap(f"the place of “{item.display_title}”")
        source_items = [i for i in source.items if i is not item]
        target_items = source_items if section is source else list(section.items)
        seen = base.sections.get(target_id) if base else None
        if seen is None:
            index = _clamp(position, len(target_items))
        else:
            before = [i for i in seen["items"] if i != item_id]
            index = merge.place(
                before, [i.id for i in target_items], item_id, _clamp(position, len(before))
            )
        target_items.insert(index, item)
        if section is source and target_items == list(source.items):
            return None  # already there: nothing to save, no revision
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
        return f"Moved “{item.display_title}” {where}"

    return save_merged(actor, playbook, base_version, change)


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
