"""Merging a change made on an older version of a playbook into the current one.

Someone opens an item's form at version 7 and saves while the playbook is at 9. The
save is applied when nothing it changes was changed by the others since 7: every
field is compared three ways, between the version they started from (the revision
numbered 7, the base), the playbook as it is now and what they sent. A field they
left as they found it is not written (so a teammate's change to it stays); a field
they changed is written when nobody else changed it, or changed it to the same
value. Only the same field changed both ways, or an edit or move of something a
teammate removed, is an overlap (Overlap), which the services turn into the conflict
page.

The fields: each item's title, notes (the twist), status, owner, target date and
element; each section's title; the playbook's title, scope, organization, vision
and framework; and the place of each item and section (see `place`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from playbook.extensions import db
from playbook.models import Item, Playbook, Revision, Section

ITEM_FIELDS = ("title", "notes", "status", "owner_id", "target_date", "element_id")
SECTION_FIELDS = ("title",)
DETAIL_FIELDS = ("title", "scope", "organization", "vision", "framework_id")


class Overlap(Exception):
    """The change and a teammate's both touched `what` (a readable phrase)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class Base:
    """The playbook as the person saw it: the document of the version they started from,
    as plain values by id."""

    version: int
    details: dict[str, Any]
    sections: dict[int, dict[str, Any]]  # id -> {"title": ..., "items": [item ids]}
    section_order: list[int]
    items: dict[int, dict[str, Any]]  # id -> ITEM_FIELDS and "section_id"


def load_base(playbook_id: int, version: int) -> Base | None:
    """The base of a change started at `version`, or None when that version's
    revision is missing or older than the ids revisions keep (nothing to merge with)."""
    snapshot = db.session.scalar(
        select(Revision.snapshot).where(
            Revision.playbook_id == playbook_id, Revision.number == version
        )
    )
    if not snapshot or any("id" not in s for s in snapshot.get("sections", ())):
        return None
    sections: dict[int, dict[str, Any]] = {}
    items: dict[int, dict[str, Any]] = {}
    for section in snapshot["sections"]:
        if any("id" not in i for i in section["items"]):
            return None
        sections[section["id"]] = {
            "title": section["title"],
            "items": [i["id"] for i in section["items"]],
        }
        for item in section["items"]:
            items[item["id"]] = {
                "title": item["title"],
                "notes": item["notes"],
                "status": item["status"],
                "owner_id": item.get("owner_id"),
                "target_date": item["target_date"],
                "element_id": (item.get("element") or {}).get("element_id"),
                "section_id": section["id"],
            }
    framework = snapshot.get("framework")
    details = {
        "title": snapshot["title"],
        "scope": snapshot["scope"],
        "organization": snapshot.get("organization", ""),
        "vision": snapshot.get("vision", ""),
        "framework_id": framework["ref_id"] if framework else None,
    }
    return Base(version, details, sections, [s["id"] for s in snapshot["sections"]], items)


# --- the values compared, in one form for the base, the current rows and a form ------


def item_values(item: Item) -> dict[str, Any]:
    return {
        "title": item.title,
        "notes": item.notes,
        "status": item.status.value,
        "owner_id": item.owner_id,
        "target_date": _iso(item.target_date),
        "element_id": item.element_id,
    }


def detail_values(playbook: Playbook) -> dict[str, Any]:
    return {
        "title": playbook.title,
        "scope": playbook.scope.value,
        "organization": playbook.organization,
        "vision": playbook.vision,
        "framework_id": playbook.framework_id,
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def form_id(value: object) -> int | None:
    """A chosen id as the forms send it ("" or 0 for none)."""
    return int(value) if value not in (None, "", 0, "0") else None  # type: ignore[call-overload]


def form_date(value: date | None) -> str | None:
    return _iso(value)


# --- deciding ------------------------------------------------------------------------


def fields_to_write(
    base: dict[str, Any] | None, current: dict[str, Any], mine: dict[str, Any], what: str
) -> set[str]:
    """The fields of `mine` to write. Without a base (the change was made on the current
    version) that is every field; with one, the fields the person changed, unless a
    teammate changed the same field to something else since (Overlap, naming `what`)."""
    if base is None:
        return set(mine)
    written = set()
    for key, value in mine.items():
        if _same(value, base[key]):
            continue  # left as they found it: whatever is there now stays
        if not (_same(current[key], base[key]) or _same(current[key], value)):
            raise Overlap(f"the {_FIELD_NAMES.get(key, key)} of {what}")
        written.add(key)
    return written


def _same(a: Any, b: Any) -> bool:
    """Equal values, a text's line breaks counted alike however they are written: a
    browser sends a text area's lines ending in CR LF, while a twist or vision that
    came in by an import has LF alone, and sending it back untouched is no change."""
    if isinstance(a, str) and isinstance(b, str):
        return a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
    return a == b


_FIELD_NAMES = {
    "notes": "twist",
    "owner_id": "owner",
    "target_date": "target date",
    "element_id": "element",
    "framework_id": "framework",
}


def changed_since(base_item: dict[str, Any], item: Item) -> bool:
    """Whether a teammate changed any field of the item since the base."""
    current = item_values(item)
    return any(current[key] != base_item[key] for key in ITEM_FIELDS)


def place(base_order: list[int], current_order: list[int], moved: int, position: int) -> int:
    """Where to put `moved` in `current_order` (which does not hold it) when the person
    asked for `position` in the order they saw (`base_order`, without it either): right
    after the entry that was to precede it, if that entry is still there; at the start
    if they asked for the start; at the same index (clamped) otherwise."""
    before = [entry for entry in base_order if entry != moved]
    position = max(0, min(position, len(before)))
    if position == 0:
        return 0
    anchor = before[position - 1]
    if anchor in current_order:
        return current_order.index(anchor) + 1
    return min(position, len(current_order))


def section_items(section: Section) -> list[int]:
    return [item.id for item in section.items]
