"""An instrument as a document: the JSON export, and what an import is compared with.

Elements are named by their framework's slug, their component's slug and their
number within the component (1 is the first), which is how the library keeps them
(an element's row is kept while its position is unchanged); the element's name goes
along so an import can tell when the number no longer means the same element."""

from __future__ import annotations

from playbook.models import Instrument, InstrumentItem

FORMAT = "playbook-instrument/1"


def _pair(en: str, es: str) -> dict:
    return {"en": en, "es": es}


def _item(item: InstrumentItem) -> dict:
    element = item.element
    return {
        "component": element.component.slug,
        "element": element.position + 1,
        "element_name": element.name,
        "text": _pair(item.text_en, item.text_es),
        "scale": {
            "name": item.scale.value,
            "options": [_pair(o.en, o.es) for o in item.scale.options],
        },
        "sensitive": item.sensitive,
    }


def snapshot(instrument: Instrument) -> dict:
    """The whole instrument as plain, JSON-ready data (no database ids)."""
    framework = instrument.framework
    return {
        "format": FORMAT,
        "framework": {"slug": framework.slug, "name": framework.name, "edition": framework.edition},
        "audience": instrument.audience.value,
        "version": instrument.version,
        "title": _pair(instrument.title_en, instrument.title_es),
        "description": _pair(instrument.description_en, instrument.description_es),
        "open_question": _pair(instrument.open_question_en, instrument.open_question_es),
        "items": [_item(item) for item in instrument.items],
    }


def content(document: dict) -> dict:
    """What two versions must share to be the same instrument: all but the number."""
    return {key: value for key, value in document.items() if key != "version"}
