"""Writes to survey instruments. Services commit once, at their end; routes never do.
Only admins may call the public ones (each checks Action.INSTRUMENT_EDIT itself).

A frozen version (one a survey round has used) is never changed: every edit goes
through _writable(), which edits the instrument itself while it is a draft and
otherwise an unfrozen copy numbered after the highest version of its framework and
audience. The result says which (Saved.new_version), so the page can tell the admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from playbook import text
from playbook.extensions import db
from playbook.models import (
    Component,
    Element,
    Framework,
    Instrument,
    InstrumentItem,
    Scale,
    SurveyAudience,
    User,
)
from playbook.permissions import Action, require
from playbook.surveys.importer import MAX_ITEMS, DocumentError

MULTI_LINE = ("description_en", "description_es")
TEXT_FIELDS = (
    "title_en",
    "title_es",
    "description_en",
    "description_es",
    "open_question_en",
    "open_question_es",
)


class InstrumentError(ValueError):
    """A change the forms cannot refuse on their own (an element of another framework…)."""


@dataclass
class Saved:
    """Where a change landed: `instrument` (the one edited, or its new version) and
    whether a new version had to be made because the one edited is frozen."""

    instrument: Instrument
    new_version: bool
    item: InstrumentItem | None = None


def next_version_number(framework_id: int, audience: SurveyAudience) -> int:
    highest = db.session.scalar(
        select(func.max(Instrument.version)).where(
            Instrument.framework_id == framework_id, Instrument.audience == audience
        )
    )
    return (highest or 0) + 1


def freeze_instrument(instrument: Instrument) -> None:
    """Mark a version as used by a survey round. For the rounds code, inside the
    transaction that opens the round: it does not commit."""
    instrument.freeze()


def _writable(instrument: Instrument) -> tuple[Instrument, bool]:
    if not instrument.is_frozen:
        return instrument, False
    copy = instrument.next_version(
        next_version_number(instrument.framework_id, instrument.audience)
    )
    db.session.add(copy)
    db.session.flush()
    return copy, True


def _element(framework_id: int, element_id: int) -> Element:
    element = db.session.scalar(
        select(Element)
        .join(Component)
        .where(Element.id == element_id, Component.framework_id == framework_id)
    )
    if element is None:
        raise InstrumentError("Choose an element of the framework this instrument measures.")
    return element


def _texts(fields: dict[str, Any]) -> dict[str, str]:
    """The instrument's texts from form data: trimmed, and the multi-line ones cleaned
    as playbook.text does for any multi-line field."""
    result = {}
    for name in TEXT_FIELDS:
        value = (fields.get(name) or "").strip()
        result[name] = text.clean_multi_line(value).strip() if name in MULTI_LINE else value
    return result


def _renumber(instrument: Instrument) -> None:
    for position, item in enumerate(instrument.items):
        item.position = position


def create_instrument(
    actor: User, framework: Framework, audience: SurveyAudience, **fields: str
) -> Instrument:
    """A new, empty draft for a framework and audience, numbered after any existing
    versions (an admin adds the items next)."""
    require(actor, Action.INSTRUMENT_EDIT)
    instrument = Instrument(
        framework_id=framework.id,
        audience=audience,
        version=next_version_number(framework.id, audience),
        **_texts(fields),
    )
    db.session.add(instrument)
    db.session.commit()
    return instrument


def update_instrument(actor: User, instrument: Instrument, **fields: str) -> Saved:
    """Change the titles, descriptions and open question (of a new version if frozen)."""
    require(actor, Action.INSTRUMENT_EDIT, instrument)
    target, new_version = _writable(instrument)
    for name, value in _texts(fields).items():
        setattr(target, name, value)
    db.session.commit()
    return Saved(target, new_version)


def _item_fields(item: InstrumentItem, framework_id: int, fields: dict[str, Any]) -> None:
    item.element_id = _element(framework_id, int(fields["element_id"])).id
    item.text_en = fields["text_en"].strip()
    item.text_es = fields["text_es"].strip()
    item.scale = Scale(fields["scale"])
    item.sensitive = bool(fields.get("sensitive"))


def add_item(actor: User, instrument: Instrument, **fields: Any) -> Saved:
    """Append an item (element_id, text_en, text_es, scale, sensitive)."""
    require(actor, Action.INSTRUMENT_EDIT, instrument)
    if len(instrument.items) >= MAX_ITEMS:
        raise InstrumentError(f"An instrument holds at most {MAX_ITEMS} items.")
    _element(instrument.framework_id, int(fields["element_id"]))  # before any copy is made
    target, new_version = _writable(instrument)
    item = InstrumentItem(position=len(target.items))
    _item_fields(item, target.framework_id, fields)
    target.items.append(item)
    db.session.commit()
    return Saved(target, new_version, item)


def _counterpart(item: InstrumentItem) -> tuple[Instrument, InstrumentItem, bool]:
    """The instrument and item to change for `item`: itself, or its copy in a new version."""
    target, new_version = _writable(item.instrument)
    return target, target.items[item.position] if new_version else item, new_version


def update_item(actor: User, item: InstrumentItem, **fields: Any) -> Saved:
    """Change an item's element, texts, scale or sensitive flag."""
    require(actor, Action.INSTRUMENT_EDIT, item.instrument)
    _element(item.instrument.framework_id, int(fields["element_id"]))
    target, counterpart, new_version = _counterpart(item)
    _item_fields(counterpart, target.framework_id, fields)
    db.session.commit()
    return Saved(target, new_version, counterpart)


def move_item(actor: User, item: InstrumentItem, step: int) -> Saved:
    """Move an item one place up (step -1) or down (+1); at either end nothing moves."""
    require(actor, Action.INSTRUMENT_EDIT, item.instrument)
    to = item.position + step
    if not 0 <= to < len(item.instrument.items):
        return Saved(item.instrument, False, item)
    target, counterpart, new_version = _counterpart(item)
    items = list(target.items)
    items.insert(to, items.pop(counterpart.position))
    target.items = items
    _renumber(target)
    db.session.commit()
    return Saved(target, new_version, counterpart)


def remove_item(actor: User, item: InstrumentItem) -> Saved:
    """Take an item out of the instrument (out of a new version if frozen)."""
    require(actor, Action.INSTRUMENT_EDIT, item.instrument)
    target, counterpart, new_version = _counterpart(item)
    target.items.remove(counterpart)
    _renumber(target)
    db.session.commit()
    return Saved(target, new_version)


def _resolve_elements(doc: dict[str, Any]) -> tuple[Framework, list[int]]:
    """The framework and the element id of each item, or DocumentError naming every
    reference this library does not have."""
    framework = db.session.scalar(select(Framework).where(Framework.slug == doc["framework"]))
    if framework is None:
        raise DocumentError([f"This library has no framework “{doc['framework']}”."])
    elements = {
        (component.slug, element.position + 1): element
        for component in framework.components
        for element in component.elements
    }
    problems, ids = [], []
    for n, item in enumerate(doc["items"], start=1):
        element = elements.get((item["component"], item["element"]))
        if element is None:
            problems.append(
                f"Item {n}: {framework.name} has no element {item['element']} "
                f"in a component “{item['component']}”."
            )
        elif item["element_name"] and item["element_name"].strip() != element.name:
            problems.append(
                f"Item {n}: element {item['element']} of “{item['component']}” is "
                f"“{element.name}” here, not “{item['element_name']}”."
            )
        else:
            ids.append(element.id)
    if problems:
        raise DocumentError(problems[:20])
    return framework, ids


def import_instrument(actor: User, doc: dict[str, Any]) -> Instrument:
    """Store a document read by importer.parse_document as a new instrument (version 1)
    or, when the framework and audience have one already, as their next version.
    Raises DocumentError, with nothing stored, for references this library lacks."""
    require(actor, Action.INSTRUMENT_EDIT)
    framework, element_ids = _resolve_elements(doc)
    audience = SurveyAudience(doc["audience"])
    version = next_version_number(framework.id, audience)
    instrument = Instrument(
        framework_id=framework.id,
        audience=audience,
        version=version,
        **{name: doc[name] for name in TEXT_FIELDS},
    )
    instrument.items = [
        InstrumentItem(
            position=position,
            element_id=element_id,
            text_en=item["text_en"],
            text_es=item["text_es"],
            scale=Scale(item["scale"]),
            sensitive=item["sensitive"],
        )
        for position, (item, element_id) in enumerate(zip(doc["items"], element_ids, strict=True))
    ]
    db.session.add(instrument)
    db.session.commit()
    return instrument
