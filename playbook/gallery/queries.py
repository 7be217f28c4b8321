"""Reads for the gallery: only public playbooks are ever named."""

from __future__ import annotations

from functools import cache

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from playbook.extensions import db
from playbook.models import Item, Playbook, play_component

SORTS = ("updated", "forks")


def _public():
    return (Playbook.open_to_all_clause(),)


@cache
def public_fork_counts():
    """A subquery: public, live forks per original playbook (built once per process;
    statements that use it are still built per request)."""
    fork = aliased(Playbook)
    return (
        select(fork.forked_from_id.label("playbook_id"), func.count().label("forks"))
        .where(Playbook.open_to_all_clause(fork), fork.forked_from_id.is_not(None))
        .group_by(fork.forked_from_id)
        .subquery()
    )


def list_public(
    *,
    q: str = "",
    scope: str | None = None,
    framework_id: int | None = None,
    component_id: int | None = None,
    sort: str = "updated",
    page: int = 1,
    per_page: int = 20,
) -> Pagination:
    forks = public_fork_counts()
    fork_total = func.coalesce(forks.c.forks, 0)
    query = (
        select(Playbook)
        .outerjoin(forks, forks.c.playbook_id == Playbook.id)
        .where(*_public())
        .options(joinedload(Playbook.framework))
    )
    if q:
        words = q.lower()  # matched as text: % and _ are not wildcards
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(words, autoescape=True)
                    for column in (Playbook.title, Playbook.organization, Playbook.vision)
                )
            )
        )
    if scope:
        query = query.where(Playbook.scope == scope)
    if framework_id:
        query = query.where(Playbook.framework_id == framework_id)
    if component_id:
        serves_via_play = exists().where(
            Item.playbook_id == Playbook.id,
            Item.play_id == play_component.c.play_id,
            play_component.c.component_id == component_id,
        )
        serves_directly = exists().where(
            Item.playbook_id == Playbook.id, Item.component_id == component_id
        )
        query = query.where(or_(serves_via_play, serves_directly))
    order = (
        (fork_total.desc(), Playbook.updated_at.desc())
        if sort == "forks"
        else (Playbook.updated_at.desc(),)
    )
    return db.paginate(
        query.order_by(*order, Playbook.id.desc()), page=page, per_page=per_page, error_out=False
    )


def fork_counts(playbook_ids: list[int]) -> dict[int, int]:
    if not playbook_ids:
        return {}
    forks = public_fork_counts()
    return dict(
        db.session.execute(
            select(forks.c.playbook_id, forks.c.forks).where(forks.c.playbook_id.in_(playbook_ids))
        ).all()
    )
