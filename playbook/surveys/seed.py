"""The starter survey instruments, loaded from playbook/seed/instruments.yaml for the
starter framework (load the library first: playbook.library.seed).

Idempotent: a framework and audience that already have any instrument version are
left as the admins keep them, so a second run, or a restart, adds nothing."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from playbook.extensions import db
from playbook.models import Framework, Instrument, InstrumentItem, Scale, SurveyAudience

SEED_FILE = Path(__file__).resolve().parent.parent / "seed" / "instruments.yaml"


def _elements(framework: Framework) -> dict[tuple[str, int], int]:
    return {
        (component.slug, element.position + 1): element.id
        for component in framework.components
        for element in component.elements
    }


def _instrument(framework: Framework, data: dict, elements: dict) -> Instrument:
    instrument = Instrument(
        framework_id=framework.id,
        audience=SurveyAudience(data["audience"]),
        version=1,
        title_en=data["title_en"],
        title_es=data["title_es"],
        description_en=data.get("description_en", ""),
        description_es=data.get("description_es", ""),
        open_question_en=data.get("open_question_en", ""),
        open_question_es=data.get("open_question_es", ""),
    )
    for position, item in enumerate(data["items"]):
        key = (item["component"], item["element"])
        if key not in elements:
            raise ValueError(f"Seed instrument {data['audience']}: no element {key}")
        instrument.items.append(
            InstrumentItem(
                position=position,
                element_id=elements[key],
                text_en=item["en"],
                text_es=item["es"],
                scale=Scale(item.get("scale", "frequency")),
                sensitive=bool(item.get("sensitive", False)),
            )
        )
    return instrument


def seed_instruments(seed_file: Path = SEED_FILE) -> int:
    """Add the starter instruments that are missing; returns how many were added."""
    with open(seed_file, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    framework = db.session.scalar(select(Framework).where(Framework.slug == data["framework"]))
    if framework is None:
        return 0
    have = set(
        db.session.scalars(
            select(Instrument.audience).where(Instrument.framework_id == framework.id)
        )
    )
    elements = _elements(framework)
    added = 0
    for entry in data["instruments"]:
        if SurveyAudience(entry["audience"]) in have:
            continue
        db.session.add(_instrument(framework, entry, elements))
        added += 1
    db.session.commit()
    return added
