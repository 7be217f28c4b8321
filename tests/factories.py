"""Plain functions that make test data with sensible defaults and unique values, and
read it back. Everything is made through the services, as the app makes it, so every
playbook item also leaves its revision behind."""

from __future__ import annotations

import itertools
import secrets
from datetime import date, timedelta

from sqlalchemy import func, insert, select, update

from playbook.auth import services as auth_services
from playbook.extensions import db
from playbook.library import services as library_services
from playbook.models import (
    Comment,
    Component,
    Element,
    Framework,
    Instrument,
    InstrumentItem,
    Item,
    MemberRole,
    Membership,
    Play,
    Playbook,
    Resource,
    Revision,
    Scale,
    SiteRole,
    Submission,
    SurveyAnswer,
    SurveyAudience,
    SurveyGroup,
    SurveyResponse,
    SurveyRound,
    User,
)
from playbook.playbooks import document, schedule
from playbook.playbooks import services as playbook_services

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_user(role: SiteRole | str = SiteRole.MEMBER, **overrides) -> User:
    n = next(_counter)
    email = overrides.pop("email", f"person{n}@example.org")
    user = auth_services.register_user(
        email,
        overrides.pop("display_name", f"Person {n}"),
        overrides.pop("password", PASSWORD),
        open_session=False,
    )
    user.site_role = SiteRole(role)
    for key, value in overrides.items():
        setattr(user, key, value)
    db.session.commit()
    return user


def make_framework(components: int = 2, **overrides) -> Framework:
    n = next(_counter)
    framework = Framework(
        slug=f"framework-{n}",
        name=overrides.pop("name", f"Framework {n}"),
        publisher="Test Publisher",
        summary="A framework for tests.",
        **overrides,
    )
    for i in range(components):
        framework.components.append(
            Component(
                slug=f"component-{i}",
                position=i,
                name=f"Component {n}.{i}",
                summary=f"Summary of component {i}.",
            )
        )
    db.session.add(framework)
    db.session.flush()
    library_services.index_framework(framework)
    db.session.commit()
    return framework


def make_instrument(
    framework: Framework | None = None,
    *,
    frozen: bool = False,
    sensitive: bool = False,
    **overrides,
) -> Instrument:
    """A teachers' instrument with one question per element of `framework` (a new
    framework with one element per component when none is given); `sensitive` marks
    the first question sensitive, `frozen` freezes the version as a round would."""
    if framework is None:
        framework = make_framework(retired_at=overrides.pop("retired_at", None))
    for component in framework.components:
        if not component.elements:
            component.elements.append(Element(position=0, name=f"Element of {component.name}"))
    db.session.flush()
    elements = [e for c in framework.components for e in c.elements]
    instrument = Instrument(
        framework_id=framework.id,
        audience=overrides.pop("audience", SurveyAudience.TEACHERS),
        version=overrides.pop("version", 1),
        title_en=overrides.pop("title_en", "A teachers' survey"),
        title_es=overrides.pop("title_es", "Una encuesta para docentes"),
        **overrides,
    )
    instrument.items = [
        InstrumentItem(
            position=i,
            element_id=element.id,
            text_en=f"Question {i + 1} is asked in English.",
            text_es=f"La pregunta {i + 1} se hace en español.",
            scale=Scale.FREQUENCY,
            sensitive=sensitive and i == 0,
        )
        for i, element in enumerate(elements)
    ]
    if frozen:
        instrument.freeze()
    db.session.add(instrument)
    db.session.commit()
    return instrument


def make_play(framework: Framework | None = None, **overrides) -> Play:
    n = next(_counter)
    framework = framework or make_framework()
    fields = dict(
        title=f"Play {n}",
        summary=f"Summary of play {n}.",
        body=f"## Steps\n\n1. Do thing {n}.",
        stage="writing",
        grade_band="K-12",
        effort="low",
        audiences=["teacher"],
        component_ids=[framework.components[0].id],
    )
    retired = overrides.pop("retired", False)
    fields.update(overrides)
    play = Play(slug=f"play-{n}")
    library_services.apply_play(play, **fields)
    if retired:
        from playbook.models import utcnow

        play.retired_at = utcnow()
    db.session.add(play)
    db.session.flush()
    library_services.index_play(play)
    db.session.commit()
    return play


def make_resource(**overrides) -> Resource:
    n = next(_counter)
    fields = dict(
        title=f"Resource {n}",
        organization="Test Org",
        url=f"https://example.org/r/{n}",
        description=f"Description of resource {n}.",
        resource_type="Rubric",
        ideal_users=["Teachers"],
        why_use_it="Because it helps.",
        who_is_using="",
    )
    retired = overrides.pop("retired", False)
    fields.update(overrides)
    resource = Resource(slug=f"resource-{n}")
    library_services.apply_resource(resource, **fields)
    if retired:
        from playbook.models import utcnow

        resource.retired_at = utcnow()
    db.session.add(resource)
    db.session.flush()
    library_services.index_resource(resource)
    db.session.commit()
    return resource


KINDS = ("play", "resource", "component", "note")
STATUSES = ("idea", "planned", "piloting", "adopted", "retired")


def make_playbook(
    owner: User,
    items: int = 0,
    *,
    framework: Framework | None = None,
    spread: bool = False,
    members: tuple[User, ...] = (),
    **fields,
) -> Playbook:
    """A playbook owned by `owner`, made with the services, holding `items` items
    spread round-robin over the sections (and, when the library is seeded, over plays,
    resources, components and notes). With spread=True every item also gets a status,
    an owner (cycling over owner and `members`), an element and a target date."""
    n = next(_counter)
    values = dict(title=f"Playbook {n}", scope="school", organization="Test School", vision="")
    values.update(fields)
    if framework is not None:
        values["framework_id"] = framework.id
    playbook = playbook_services.create_playbook(owner, **values)
    if not (items or members):
        return playbook
    playbook_id = playbook.id
    if members:
        add_members(playbook_id, *members)
    targets = _library_targets(framework)
    people = [owner.id] + [m.id for m in members]
    elements = (
        list(
            db.session.scalars(
                select(Element.id)
                .join(Component)
                .where(Component.framework_id == framework.id)
                .order_by(Element.id)
            )
        )
        if framework is not None
        else []
    )
    for i in range(items):
        playbook = playbook_services.load_playbook_for_change(playbook_id)
        section = playbook.sections[i % len(playbook.sections)]
        kind = KINDS[i % len(KINDS)] if targets else "note"
        if kind == "note":
            item = playbook_services.add_item(
                owner,
                playbook,
                section,
                kind="note",
                title=f"Note {n}.{i}",
                notes=f"Notes for *item {i}*.",
            )
        else:
            pool = targets[kind]
            item = playbook_services.add_item(
                owner, playbook, section, kind=kind, ref_id=pool[i % len(pool)]
            )
        if spread:
            playbook = playbook_services.load_playbook_for_change(playbook_id)
            item = next(it for s in playbook.sections for it in s.items if it.id == item.id)
            playbook_services.update_item(
                owner,
                playbook,
                item,
                base_version=playbook.version,
                title=item.title,
                notes=item.notes,
                status=STATUSES[i % len(STATUSES)],
                owner_id=people[i % len(people)],
                target_date=date(2027, 1, 1) + timedelta(days=i),
                element_id=elements[i % len(elements)] if elements else None,
            )
    return reload(playbook_id)


def seeded_framework() -> Framework:
    """The starter framework (the `library` fixture must have run)."""
    return db.session.scalar(select(Framework).order_by(Framework.id))


def _library_targets(framework: Framework | None) -> dict[str, list[int]] | None:
    plays = list(
        db.session.scalars(select(Play.id).where(Play.retired_at.is_(None)).order_by(Play.id))
    )
    resources = list(
        db.session.scalars(
            select(Resource.id).where(Resource.retired_at.is_(None)).order_by(Resource.id)
        )
    )
    query = select(Component.id).order_by(Component.id)
    if framework is not None:
        query = query.where(Component.framework_id == framework.id)
    components = list(db.session.scalars(query))
    if not (plays and resources and components):
        return None
    return {"play": plays, "resource": resources, "component": components}


def add_members(playbook_id: int, *users: User, role: MemberRole = MemberRole.EDITOR) -> None:
    """Give users a role on a playbook directly (the sharing tests go through its pages)."""
    for user in users:
        db.session.add(Membership(playbook_id=playbook_id, user_id=user.id, role=role))
    db.session.commit()


def add_note(
    owner: User, playbook_id: int, section_index: int = 0, title: str = "A note", notes: str = ""
) -> Item:
    playbook = playbook_services.load_playbook_for_change(playbook_id)
    return playbook_services.add_item(
        owner, playbook, playbook.sections[section_index], kind="note", title=title, notes=notes
    )


def add_play(owner: User, playbook_id: int, play: Play, section_index: int = 1) -> Item:
    playbook = playbook_services.load_playbook_for_change(playbook_id)
    return playbook_services.add_item(
        owner, playbook, playbook.sections[section_index], kind="play", ref_id=play.id
    )


def reload(playbook_id: int) -> Playbook | None:
    """The playbook as the database has it now (the test's session forgets what it held)."""
    db.session.expire_all()
    return playbook_services.load_playbook_for_change(playbook_id)


def state_of(playbook_id: int) -> dict:
    """Everything about a playbook that a refused request must leave alone."""
    playbook = reload(playbook_id)
    return {
        "version": playbook.version,
        "deleted_at": playbook.deleted_at,
        "snapshot": document.snapshot(playbook),
        "positions": [[(i.id, i.position) for i in s.items] for s in playbook.sections],
        "sections": [(s.id, s.position, s.title) for s in playbook.sections],
        "revisions": revision_count(playbook_id),
    }


def revision_count(playbook_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Revision).where(Revision.playbook_id == playbook_id)
    )


def playbook_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Playbook))


def item_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Item))


def items_by_section(playbook_id: int) -> list[list[tuple[int, int]]]:
    """[(item id, position), ...] per section, in section order."""
    playbook = reload(playbook_id)
    return [[(i.id, i.position) for i in s.items] for s in playbook.sections]


def latest_revision(playbook_id: int) -> Revision:
    db.session.expire_all()
    return db.session.scalar(
        select(Revision)
        .where(Revision.playbook_id == playbook_id)
        .order_by(Revision.number.desc())
        .limit(1)
    )


# --- comments and suggestions -------------------------------------------------------------

SUGGESTION_FIELDS = {
    "title": "Choice boards kit",
    "url": "https://example.net/choice-boards",
    "organization": "Lab",
    "resource_type": "Toolkit",
    "ideal_users": ["Teachers"],
    "description": "Boards for choice.",
    "why_use_it": "Students pick how they show learning.",
}


def add_comment(
    author, target, body: str, status=None, parent=None, created_at=None, commit=True
) -> Comment:
    """A comment row written directly (for threads too long to post one by one). The
    HTML comes from the one sanitizer, as the service writes it."""
    from playbook import sanitize
    from playbook.models import CommentStatus, TargetKind, utcnow

    kind = TargetKind(type(target).__name__.lower())
    comment = Comment(
        author_id=author.id,
        target_kind=kind,
        body=body,
        body_html=sanitize.render_markdown(body),
        status=status or CommentStatus.PUBLISHED,
        parent_id=parent.id if parent else None,
        created_at=created_at or utcnow(),
        **{kind.column: target.id},
    )
    db.session.add(comment)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return comment


def latest_comment() -> Comment:
    db.session.expire_all()
    return db.session.scalars(db.select(Comment).order_by(Comment.id.desc()).limit(1)).one()


def latest_submission() -> Submission:
    db.session.expire_all()
    return db.session.scalars(db.select(Submission).order_by(Submission.id.desc()).limit(1)).one()


def status_of(comment: Comment):
    db.session.expire_all()
    return db.session.get(Comment, comment.id).status


def logged_actions() -> list:
    from playbook.models import ModerationAction

    return list(db.session.scalars(db.select(ModerationAction).order_by(ModerationAction.id)))


def make_round(
    playbook: Playbook,
    instruments: list[Instrument] | None = None,
    groups: tuple[tuple[str, SurveyAudience, int], ...] = (
        ("Grade 7, room 214", SurveyAudience.TEACHERS, 0),
    ),
    *,
    opens_on: date | None = None,
    closes_on: date | None = None,
    **fields,
) -> SurveyRound:
    """A survey round of `playbook` written straight to the tables (the rounds' own
    tests go through their pages): the instruments (one teachers' instrument when none
    is given, frozen as opening a round freezes it) and (label, audience, codes
    issued) per group, open from `opens_on` (today) to `closes_on` (in two weeks)."""
    today = date.today()
    instruments = instruments if instruments is not None else [make_instrument()]
    for instrument in instruments:
        instrument.freeze()
    survey_round = SurveyRound(
        playbook_id=playbook.id,
        title=fields.pop("title", "Autumn round"),
        opens_on=opens_on or today,
        closes_on=closes_on or today + timedelta(days=14),
        instruments=instruments,
        groups=[
            SurveyGroup(position=i, label=label, audience=audience, codes_issued=codes)
            for i, (label, audience, codes) in enumerate(groups)
        ],
        **fields,
    )
    db.session.add(survey_round)
    db.session.commit()
    return survey_round


def add_responses(
    group: SurveyGroup,
    instrument: Instrument,
    answers_per_item_pattern,
    n: int,
    *,
    open_answer: str = "",
    submitted_on: date | None = None,
) -> None:
    """`n` responses of `group` to `instrument`, written in two bulk inserts. Response j
    answers item i with `pattern[j % len(pattern)]` (a value, or a sequence of values
    taken per item as `[i % len]`; None leaves the item unanswered)."""
    pattern = list(answers_per_item_pattern)
    day = submitted_on or date.today()
    responses, answers = [], []
    for j in range(n):
        response_id = secrets.token_hex(16)
        responses.append(
            {
                "id": response_id,
                "group_id": group.id,
                "instrument_id": instrument.id,
                "submitted_on": day,
                "open_answer": open_answer,
            }
        )
        chosen = pattern[j % len(pattern)]
        for i, item in enumerate(instrument.items):
            value = chosen[i % len(chosen)] if isinstance(chosen, (list, tuple)) else chosen
            if value is not None:
                answers.append({"response_id": response_id, "item_id": item.id, "value": value})
    if responses:
        db.session.execute(insert(SurveyResponse), responses)
        # as respond.services.submit counts each response on its group
        db.session.execute(
            update(SurveyGroup)
            .where(SurveyGroup.id == group.id)
            .values(response_count=SurveyGroup.response_count + len(responses))
        )
    if answers:
        db.session.execute(insert(SurveyAnswer), answers)
    db.session.commit()


def plan_item(
    actor: User,
    playbook_id: int,
    item_id: int,
    *,
    owner: User | None,
    target_date: date | None,
    status: str = "planned",
) -> None:
    """Give an item an owner, a target date and a status through the edit service, so
    history, merging and the page cache see an ordinary edit of the item."""
    playbook = playbook_services.load_playbook_for_change(playbook_id)
    item = next(i for s in playbook.sections for i in s.items if i.id == item_id)
    playbook_services.update_item(
        actor,
        playbook,
        item,
        base_version=playbook.version,
        title=item.title,
        notes=item.notes,
        status=status,
        owner_id=owner.id if owner else None,
        target_date=target_date,
        element_id=item.element_id,
    )


def add_dated_note(
    actor: User,
    playbook_id: int,
    title: str,
    *,
    owner: User | None = None,
    target_date: date | None = None,
    status: str = "planned",
) -> int:
    """A note owned by `owner` (the actor when None) with a target date; its id."""
    item_id = add_note(actor, playbook_id, title=title).id
    plan_item(
        actor, playbook_id, item_id, owner=owner or actor, target_date=target_date, status=status
    )
    return item_id


def days_from_today(days: int | None) -> date | None:
    """Today in the site's zone plus `days` (None stays None: no target date)."""
    return None if days is None else schedule.today() + timedelta(days=days)
