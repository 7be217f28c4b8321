"""Reusable reads of the library: filtered, paginated lists, detail loads, choice
lists and who is using an entry. Each list issues a fixed number of queries whatever
the page holds."""

from __future__ import annotations

from functools import cache

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from playbook.extensions import db
from playbook.models import (
    Component,
    Framework,
    Item,
    Play,
    PlayAudience,
    Playbook,
    Resource,
    ResourceIdealUser,
    Visibility,
    play_component,
)


def _live(model, include_retired: bool):
    return [] if include_retired else [model.retired_at.is_(None)]


def list_plays(
    *,
    stage=None,
    component_id=None,
    audience=None,
    grade_band=None,
    effort=None,
    page=1,
    per_page=20,
    include_retired=False,
) -> Pagination:
    query = (
        select(Play)
        .where(*_live(Play, include_retired))
        .options(selectinload(Play.components), selectinload(Play.audience_rows))
        .order_by(Play.title, Play.id)
    )
    if stage:
        query = query.where(Play.stage == stage)
    if grade_band:
        query = query.where(Play.grade_band == grade_band)
    if effort:
        query = query.where(Play.effort == effort)
    if audience:
        query = query.where(
            exists().where(PlayAudience.play_id == Play.id, PlayAudience.audience == audience)
        )
    if component_id:
        query = query.where(
            exists().where(
                play_component.c.play_id == Play.id, play_component.c.component_id == component_id
            )
        )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def list_resources(
    *, resource_type=None, ideal_user=None, page=1, per_page=20, include_retired=False
) -> Pagination:
    query = (
        select(Resource)
        .where(*_live(Resource, include_retired))
        .options(selectinload(Resource.ideal_user_rows), joinedload(Resource.suggested_by))
        .order_by(Resource.title, Resource.id)
    )
    if resource_type:
        query = query.where(Resource.resource_type == resource_type)
    if ideal_user:
        query = query.where(
            exists().where(
                ResourceIdealUser.resource_id == Resource.id,
                ResourceIdealUser.ideal_user == ideal_user,
            )
        )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def list_frameworks(include_retired=False) -> list[Framework]:
    return list(
        db.session.scalars(
            select(Framework)
            .where(*_live(Framework, include_retired))
            .options(selectinload(Framework.components).selectinload(Component.elements))
            .order_by(Framework.name)
        )
    )


def framework_names() -> list[tuple[int, str, str]]:
    """(id, name, edition) of every live framework, by name: what a choice list needs
    (one query, no components or elements)."""
    return [
        (framework_id, name, edition)
        for framework_id, name, edition in db.session.execute(
            select(Framework.id, Framework.name, Framework.edition)
            .where(Framework.retired_at.is_(None))
            .order_by(Framework.name)
        )
    ]


def framework_choices() -> list[tuple[int, str]]:
    """(id, 'Name (edition N)') of every live framework, for a choice list."""
    return [
        (framework_id, f"{name} (edition {edition})" if edition else name)
        for framework_id, name, edition in framework_names()
    ]


def component_choices() -> list[tuple[int, str]]:
    """(id, 'Component — Framework') for every component of a live framework."""
    rows = db.session.execute(
        select(Component.id, Component.name, Framework.name)
        .join(Framework)
        .where(Framework.retired_at.is_(None))
        .order_by(Framework.name, Component.position)
    ).all()
    return [(cid, f"{name} — {framework}") for cid, name, framework in rows]


def load_play(play_id: int) -> Play | None:
    """A play with its audiences (joined) and the components it serves with their
    frameworks (a second statement)."""
    return (
        db.session.scalars(
            select(Play)
            .where(Play.id == play_id)
            .options(
                selectinload(Play.components).joinedload(Component.framework),
                joinedload(Play.audience_rows),
            )
        )
        .unique()
        .first()
    )


def load_resource(resource_id: int) -> Resource | None:
    """A resource with its ideal users and the member it was suggested by, in one statement."""
    return (
        db.session.scalars(
            select(Resource)
            .where(Resource.id == resource_id)
            .options(joinedload(Resource.ideal_user_rows), joinedload(Resource.suggested_by))
        )
        .unique()
        .first()
    )


def load_component(component_id: int) -> Component | None:
    return db.session.scalar(
        select(Component)
        .where(Component.id == component_id)
        .options(selectinload(Component.elements), selectinload(Component.framework))
    )


def load_framework(framework_id: int) -> Framework | None:
    return db.session.scalar(
        select(Framework)
        .where(Framework.id == framework_id)
        .options(selectinload(Framework.components).selectinload(Component.elements))
    )


def plays_by_component(components: list[Component]) -> dict[int, list[Play]]:
    """Live plays serving each of these components, keyed by component id (one query)."""
    ids = [c.id for c in components]
    rows = (
        db.session.execute(
            select(play_component.c.component_id, Play)
            .join(Play, Play.id == play_component.c.play_id)
            .where(play_component.c.component_id.in_(ids), Play.retired_at.is_(None))
            .order_by(Play.title)
        ).all()
        if ids
        else []
    )
    result: dict[int, list[Play]] = {cid: [] for cid in ids}
    for component_id, play in rows:
        result[component_id].append(play)
    return result


@cache
def _counts_statement():
    # Built once per process: putting it together costs more than running it.
    return select(
        select(func.count())
        .select_from(Framework)
        .where(Framework.retired_at.is_(None))
        .scalar_subquery(),
        select(func.count()).select_from(Play).where(Play.retired_at.is_(None)).scalar_subquery(),
        select(func.count())
        .select_from(Resource)
        .where(Resource.retired_at.is_(None))
        .scalar_subquery(),
    )


def library_counts() -> dict[str, int]:
    """How many live frameworks, plays and resources there are (one query)."""
    row = db.session.execute(_counts_statement()).one()
    return {"frameworks": row[0], "plays": row[1], "resources": row[2]}


def who_is_using(*, play_id: int | None = None, resource_id: int | None = None, limit: int = 20):
    """Who uses a play or resource: (public playbooks that include it, newest first,
    how many public playbooks do, how many other live ones do). Private playbooks
    are only counted, never named."""
    column = Item.play_id if play_id is not None else Item.resource_id
    target = play_id if play_id is not None else resource_id
    using = select(Item.playbook_id).where(column == target)
    public = list(
        db.session.scalars(
            select(Playbook)
            .where(
                Playbook.id.in_(using),
                Playbook.visibility == Visibility.PUBLIC,
                Playbook.deleted_at.is_(None),
            )
            .order_by(Playbook.updated_at.desc())
            .limit(limit)
        )
    )
    is_public = case((Playbook.visibility == Visibility.PUBLIC, 1), else_=0)
    everyone, public_total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(is_public), 0))
        .select_from(Playbook)
        .where(Playbook.id.in_(using), Playbook.deleted_at.is_(None))
    ).one()
    return public, public_total, everyone - public_total
