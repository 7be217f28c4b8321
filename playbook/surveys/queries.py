"""Reading instruments for pages, each in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from playbook.extensions import db
from playbook.models import Component, Element, Framework, Instrument, InstrumentItem


def instrument_list(framework_id: int | None = None, include_retired: bool = False) -> list[tuple]:
    """(instrument, item count, sensitive item count) for every version, by framework,
    audience and newest version first; two statements whatever the number."""
    counts = (
        select(
            InstrumentItem.instrument_id,
            func.count().label("n_items"),
            func.count().filter(InstrumentItem.sensitive.is_(True)).label("n_sensitive"),
        )
        .group_by(InstrumentItem.instrument_id)
        .subquery()
    )
    query = (
        select(
            Instrument, func.coalesce(counts.c.n_items, 0), func.coalesce(counts.c.n_sensitive, 0)
        )
        .join(Framework, Instrument.framework_id == Framework.id)
        .outerjoin(counts, counts.c.instrument_id == Instrument.id)
        .options(contains_eager(Instrument.framework))
        .order_by(Framework.name, Instrument.audience, Instrument.version.desc())
    )
    if framework_id is not None:
        query = query.where(Instrument.framework_id == framework_id)
    if not include_retired:
        query = query.where(Framework.retired_at.is_(None))
    return [tuple(row) for row in db.session.execute(query)]


def load_instrument(instrument_id: int) -> Instrument | None:
    """An instrument with its framework, components, elements and items loaded."""
    return db.session.scalar(
        select(Instrument)
        .where(Instrument.id == instrument_id)
        .options(
            joinedload(Instrument.framework)
            .selectinload(Framework.components)
            .selectinload(Component.elements),
            selectinload(Instrument.items),
        )
    )


def newest_version(instrument: Instrument) -> tuple[int, int] | None:
    """(id, version) of the newest version for the same framework and audience, when
    it is not this one."""
    row = db.session.execute(
        select(Instrument.id, Instrument.version)
        .where(
            Instrument.framework_id == instrument.framework_id,
            Instrument.audience == instrument.audience,
        )
        .order_by(Instrument.version.desc())
        .limit(1)
    ).first()
    return None if row is None or row.id == instrument.id else (row.id, row.version)


@dataclass
class ElementGroup:
    element: Element
    items: list[InstrumentItem] = field(default_factory=list)


@dataclass
class ComponentGroup:
    component: Component
    elements: list[ElementGroup] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return sum(len(group.items) for group in self.elements)


def grouped(instrument: Instrument) -> list[ComponentGroup]:
    """The items under their component and element, in framework order (elements with
    no item are listed too, so a gap shows). Reads only what load_instrument loaded."""
    by_element: dict[int, list[InstrumentItem]] = {}
    for item in instrument.items:
        by_element.setdefault(item.element_id, []).append(item)
    return [
        ComponentGroup(
            component,
            [
                ElementGroup(element, by_element.get(element.id, []))
                for element in component.elements
            ],
        )
        for component in instrument.framework.components
    ]


def element_choices(instrument: Instrument) -> list[tuple[int, str]]:
    """(element id, "Component: element") for the instrument's framework."""
    return [
        (element.id, f"{component.name}: {element.name}")
        for component in instrument.framework.components
        for element in component.elements
    ]


def framework_choices() -> list[tuple[int, str]]:
    return [
        (framework.id, framework.name)
        for framework in db.session.scalars(
            select(Framework).where(Framework.retired_at.is_(None)).order_by(Framework.name)
        )
    ]
