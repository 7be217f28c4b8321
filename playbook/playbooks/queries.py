"""Reads for playbook pages: the page itself in a fixed number of statements, the
coverage map and the progress counts (computed in Python from what is loaded)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Integer, bindparam, func, inspect, or_, select
from sqlalchemy.orm import aliased, joinedload, load_only, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from playbook import pagecache
from playbook.extensions import db
from playbook.models import (
    Component,
    Element,
    Framework,
    Item,
    ItemKind,
    ItemStatus,
    MemberRole,
    Membership,
    Play,
    Playbook,
    Resource,
    Section,
    SurveyGroup,
    SurveyResponse,
    SurveyRound,
    User,
)
from playbook.permissions import EDITING_ROLES, playbook_readable_clause


def _item_options(items):
    """What an item shows on a page, loaded with it: the play (with the components it
    serves, in a statement of their own: joined, the play-component pairs made SQLite
    build a temporary index on every request), resource, component, element and owner,
    only the columns a page shows."""
    return items.options(
        joinedload(Item.play).options(
            load_only(Play.slug, Play.title, Play.retired_at), selectinload(Play.components)
        ),
        joinedload(Item.resource).load_only(Resource.slug, Resource.title, Resource.retired_at),
        joinedload(Item.component),
        joinedload(Item.element),
        joinedload(Item.owner).load_only(User.display_name),
    )


def _head(components: bool = True):
    """The playbook row (bound as playbook_id) with its framework (and, with
    components, the framework's components and elements) and the playbook it was
    forked from, joined into one statement."""
    framework = joinedload(Playbook.framework)
    if components:
        framework = framework.joinedload(Framework.components).joinedload(Component.elements)
    return (
        select(Playbook)
        .where(Playbook.id == bindparam("playbook_id"))
        .options(framework, joinedload(Playbook.forked_from))
    )


@cache
def _page_statement(forks_for: str | None = None):
    """The head (see _head), then sections and items with what they point at
    in a second statement and the plays' components in a third. With forks_for
    ("visitor" or "member") the first statement also counts the forks that reader may
    know of. Built once per process: building the options costs more than running
    the statements, so the id (and reader) are bound parameters."""
    statement = _head().options(
        _item_options(selectinload(Playbook.sections).joinedload(Section.items))
    )
    return statement.add_columns(_visible_forks(forks_for == "member")) if forks_for else statement


@cache
def _view_statement(forks_for: str):
    """The head of the playbook page, the forks count, the fingerprints of the page's
    shared part and of its thread (pagecache.document_scopes and thread_scopes, bound
    as document_scopes and thread_scopes), and the survey round its coverage map shows
    (_latest_round) with that round's responses counted, in one statement. The
    framework's components and elements are left to load_sections: a page whose
    shared part is kept never reads them, and building them as objects on every
    request was most of a kept page's time on PostgreSQL. For a signed-in reader the
    members (with their accounts), which role checks read, are joined in too: a row
    per member."""
    statement = _head(components=False)
    if forks_for == "member":
        statement = statement.options(joinedload(Playbook.memberships).joinedload(Membership.user))
    return statement.add_columns(
        _visible_forks(forks_for == "member"),
        *pagecache.fingerprint_columns(bindparam("document_scopes", expanding=True)),
        *pagecache.fingerprint_columns(bindparam("thread_scopes", expanding=True)),
        _latest_round(public=False),
        _latest_round(public=True),
        _latest_round_responses(),
    )


def _latest_round(public: bool):
    """A scalar subquery: the latest round (by opening day) of the playbook bound as
    playbook_id that has figures to show (a response, or the counts kept when its raw
    answers were removed); with public, the latest one its owner made public. Bound,
    not correlated, so the database works it out once, not for every joined row."""
    answered = (
        select(SurveyResponse.group_id)
        .join(SurveyGroup, SurveyGroup.id == SurveyResponse.group_id)
        .where(SurveyGroup.round_id == SurveyRound.id)
        .exists()
    )
    rounds = select(SurveyRound.id).where(
        SurveyRound.playbook_id == bindparam("playbook_id"),
        or_(SurveyRound.purged_at.is_not(None), answered),
    )
    if public:
        rounds = rounds.where(SurveyRound.results_public.is_(True))
    return (
        rounds.order_by(SurveyRound.opens_on.desc(), SurveyRound.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _latest_round_responses():
    """A scalar subquery: the responses of the rounds _latest_round picks, as their
    groups count them (SurveyGroup.response_count). The scores change with every
    response, and a response records nothing that says when it came (pagecache's
    surveys:<id>), so the shared part is checked against this count."""
    return (
        select(func.coalesce(func.sum(SurveyGroup.response_count), 0))
        .where(SurveyGroup.round_id.in_([_latest_round(public=False), _latest_round(public=True)]))
        .scalar_subquery()
    )


@cache
def _sections_statement():
    return (
        select(Section)
        .where(Section.playbook_id == bindparam("playbook_id"))
        .order_by(Section.position)
        .options(_item_options(joinedload(Section.items)))
    )


def _visible_forks(member: bool):
    """A scalar subquery: live forks of the playbook being loaded that the reader could
    read because they are public, or (for a signed-in reader, bound as viewer_id) by
    membership. A private fork's existence is not revealed to anyone else."""
    fork = aliased(Playbook)
    viewer_id = bindparam("viewer_id", type_=Integer) if member else None
    return (
        select(func.count())
        .select_from(fork)
        .where(fork.forked_from_id == Playbook.id, playbook_readable_clause(viewer_id, fork))
        .scalar_subquery()
    )


@cache
def _memberships_statement():
    return (
        select(Membership)
        .options(joinedload(Membership.user))
        .where(Membership.playbook_id.in_(bindparam("playbook_ids", expanding=True)))
        .order_by(Membership.id)
    )


def _load_memberships(playbooks: list[Playbook]) -> None:
    """Members (with their accounts) of these playbooks in one statement, set as each
    playbook's loaded `memberships`, so role checks on the page and on the playbook it
    was forked from need no further query."""
    by_playbook: dict[int, list[Membership]] = {p.id: [] for p in playbooks}
    rows = db.session.scalars(_memberships_statement(), {"playbook_ids": list(by_playbook)})
    for membership in rows:
        by_playbook[membership.playbook_id].append(membership)
    for playbook in playbooks:
        set_committed_value(playbook, "memberships", by_playbook[playbook.id])


def _finish(playbook: Playbook | None, viewer) -> Playbook | None:
    if playbook is not None and getattr(viewer, "is_authenticated", False):
        _load_memberships([p for p in (playbook, playbook.forked_from) if p is not None])
    return playbook


def load_playbook_page(playbook_id: int, viewer=None) -> Playbook | None:
    """A playbook with framework (components, elements), sections and items (and what
    they point at): three statements whatever its size, and for a signed-in viewer a
    fourth with the members (visitors' permission checks never read them)."""
    playbook = db.session.scalars(_page_statement(), {"playbook_id": playbook_id}).unique().first()
    return _finish(playbook, viewer)


@dataclass(frozen=True)
class PlaybookView:
    """The head of the playbook page: the playbook (framework, origin and, for a
    signed-in reader, members loaded; sections and the framework's components not
    yet: load_sections), the number of its forks the reader may know of, and the
    fingerprints its shared part and its thread are kept under (None while the
    database is not migrated)."""

    playbook: Playbook
    fork_count: int
    fingerprint: pagecache.Fingerprint
    thread_fingerprint: pagecache.Fingerprint
    latest_round_id: int | None = None  # the latest round with figures
    latest_public_round_id: int | None = None  # the latest of those made public
    latest_round_responses: int = 0

    def scores_round(self, team: bool) -> int | None:
        """The round whose scores the coverage map shows a reader: the latest for the
        playbook's team (who read every round's results), else the latest public one."""
        return self.latest_round_id if team else self.latest_public_round_id

    def document_fingerprint(self, round_id: int | None) -> pagecache.Fingerprint:
        """What the shared part showing `round_id`'s scores is kept under: None (render
        anew) while the database cannot tell."""
        if self.fingerprint is None:
            return None
        return (self.fingerprint, round_id, self.latest_round_responses if round_id else 0)


def load_playbook_view(playbook_id: int, viewer) -> PlaybookView | None:
    """The head of the playbook page in one statement, with its members for a
    signed-in reader (and the members of the playbook it was forked from in a
    second)."""
    viewer_id = getattr(viewer, "id", None)
    params: dict[str, object] = {
        "playbook_id": playbook_id,
        "document_scopes": sorted(pagecache.document_scopes(playbook_id)),
        "thread_scopes": sorted(pagecache.thread_scopes(playbook_id)),
    }
    if viewer_id is not None:
        params["viewer_id"] = viewer_id
    statement = _view_statement("visitor" if viewer_id is None else "member")
    row = db.session.execute(statement, params).unique().first()
    if row is None:
        return None
    playbook: Playbook = row[0]
    if viewer_id is not None:
        # joined in no particular order: in the order _load_memberships gives
        members = sorted(playbook.memberships, key=lambda membership: membership.id)
        set_committed_value(playbook, "memberships", members)
        if playbook.forked_from is not None:
            _load_memberships([playbook.forked_from])
    return PlaybookView(
        playbook,
        row[1],
        pagecache.fingerprint_of(row[2:5]),
        pagecache.fingerprint_of(row[5:8]),
        row[8],
        row[9],
        int(row[10] or 0),
    )


@cache
def _components_statement():
    return (
        select(Component)
        .where(Component.framework_id == bindparam("framework_id"))
        .order_by(Component.position)
        .options(joinedload(Component.elements))
    )


def load_sections(playbook: Playbook) -> None:
    """Sections and items (with what they point at), and the framework's components
    and elements, of a playbook loaded by load_playbook_view: three statements
    whatever its size (two without a framework, or with its components loaded)."""
    sections = db.session.scalars(_sections_statement(), {"playbook_id": playbook.id}).unique()
    set_committed_value(playbook, "sections", list(sections))
    if playbook.framework is not None and "components" in inspect(playbook.framework).unloaded:
        components = db.session.scalars(
            _components_statement(), {"framework_id": playbook.framework.id}
        ).unique()
        set_committed_value(playbook.framework, "components", list(components))


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
                by_element.setdefault(item.element.id, []).append(item)
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


def list_my_playbooks(
    user: User, page: int = 1, per_page: int = 20, deleted: bool = False
) -> Pagination:
    """Playbooks the user is a member of (or, with deleted, those they own in the bin)."""
    query = (
        select(Playbook)
        .join(Membership)
        .where(Membership.user_id == user.id)
        .options(selectinload(Playbook.framework))
    )
    if deleted:
        query = query.where(
            Playbook.deleted_at.is_not(None), Membership.role == MemberRole.OWNER
        ).order_by(Playbook.deleted_at.desc())
    else:
        query = query.where(Playbook.deleted_at.is_(None)).order_by(Playbook.updated_at.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def item_counts(playbook_ids: list[int]) -> dict[int, Counter]:
    """Status counts per playbook for a list page (one query)."""
    result: dict[int, Counter] = {pid: Counter() for pid in playbook_ids}
    if playbook_ids:
        rows = db.session.execute(
            select(Item.playbook_id, Item.status, func.count())
            .where(Item.playbook_id.in_(playbook_ids))
            .group_by(Item.playbook_id, Item.status)
        )
        for playbook_id, status, count in rows:
            result[playbook_id][status] = count
    return result


def editable_sections(user: User) -> list[tuple[Playbook, list[Section]]]:
    """The user's playbooks they may edit, with their sections (for 'Add to playbook')."""
    playbooks = db.session.scalars(
        select(Playbook)
        .join(Membership)
        .where(
            Membership.user_id == user.id,
            Membership.role.in_(EDITING_ROLES),
            Playbook.deleted_at.is_(None),
        )
        .options(selectinload(Playbook.sections))
        .order_by(Playbook.updated_at.desc())
    ).all()
    return [(p, list(p.sections)) for p in playbooks]
