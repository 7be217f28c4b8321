"""Fill a fresh database to district scale, for the benchmark and for trying the app
with realistic data: people, a large library, playbooks with members, sections and
items, comments, flags, suggestions and moderation decisions.

Rows go in with SQLAlchemy core inserts (lists of dicts, in batches), never one ORM
object at a time; ids are assigned here so rows can refer to each other without a
round trip. Everything comes from random.Random(seed): the same seed gives the
same data (timestamps count back from `now`). Used by `flask generate-data`.

The parts: scale (sizes and fixed values), text (word lists and the writer),
playbooks and comments (those rows), benchpage (the benchmark's in-memory page)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy import text as sql_text  # `text` here is the sibling module playbook.devdata.text

from playbook.auth.passwords import hash_password
from playbook.devdata import comments as generated_comments
from playbook.devdata import playbooks as generated_playbooks
from playbook.devdata import surveys as generated_surveys
from playbook.devdata.scale import (
    BATCH,
    BENCHMARK_COMMENTS,
    BENCHMARK_ITEMS,
    BENCHMARK_TITLE,
    PASSWORD,
    Scale,
)
from playbook.devdata.text import ROLE_TITLES, Writer, slug
from playbook.extensions import db
from playbook.models import (
    Audience,
    Comment,
    Component,
    Effort,
    Element,
    Framework,
    GradeBand,
    IdealUser,
    Play,
    PlayAudience,
    Playbook,
    Resource,
    ResourceIdealUser,
    ResourceType,
    SearchDocument,
    SiteRole,
    Stage,
    User,
    play_component,
)
from playbook.sanitize import plain_text, render_markdown

__all__ = [
    "BENCHMARK_COMMENTS",
    "BENCHMARK_ITEMS",
    "BENCHMARK_TITLE",
    "PASSWORD",
    "DatabaseNotEmpty",
    "Report",
    "Run",
    "Scale",
    "generate",
]


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    benchmark_playbook_id: int | None = None
    seconds: float = 0.0


class DatabaseNotEmpty(RuntimeError):
    """generate-data only fills a database that holds no accounts or playbooks yet."""


def generate(
    scale: Scale, *, now: datetime | None = None, progress: Callable[[str], None] | None = None
) -> Report:
    """Fill the database (after `flask setup`) at `scale`. Refuses a database that
    already has accounts, playbooks or comments: run it on a fresh one."""
    people = db.session.scalar(select(func.count()).select_from(User))
    playbooks = db.session.scalar(select(func.count()).select_from(Playbook))
    comments = db.session.scalar(select(func.count()).select_from(Comment))
    if people or playbooks or comments:
        raise DatabaseNotEmpty(
            f"This database already holds {people} accounts, {playbooks} playbooks and "
            f"{comments} comments. generate-data fills a fresh database: create an empty one "
            "and run `flask setup` first."
        )
    started = time.monotonic()
    run = Run(
        scale,
        now or datetime.now(UTC).replace(microsecond=0),
        progress or (lambda message: None),
    )
    for step in (
        run.add_people,
        run.add_library,
        run.add_playbooks,
        lambda: generated_comments.fill(run),
        lambda: generated_surveys.fill(run),
    ):
        step()
        db.session.commit()
    run.reset_sequences()
    # Fresh statistics after a bulk load, so the query planner knows the tables' sizes.
    # On PostgreSQL also VACUUM, as autovacuum would soon after such a load: until the
    # visibility map is set, index-only scans read every row from the table as well,
    # and a benchmark would measure that moment instead of the database's usual state.
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sql_text("VACUUM ANALYZE"))
    else:
        db.session.execute(sql_text("ANALYZE"))
        db.session.commit()
    run.report.seconds = round(time.monotonic() - started, 1)
    return run.report


class Run:
    """One generation run: the random source, the next id per table and what later
    steps need to know about the rows already written."""

    def __init__(self, scale: Scale, now: datetime, progress: Callable[[str], None]):
        self.scale, self.now, self.progress = scale, now, progress
        self.rng = random.Random(scale.seed)
        self.write = Writer(self.rng)
        self.report = Report()
        self._next: dict[str, int] = {}
        self.users: list[tuple[int, str]] = []  # (id, display name)
        self.names: dict[int, str] = {}
        self.moderators: list[int] = []
        self.frameworks: dict[int, list[int]] = {}  # framework id -> component ids
        self.framework_refs: dict[
            int, dict
        ] = {}  # framework id -> its entry in a revision snapshot
        self.components: dict[int, tuple[str, str, int]] = {}  # id -> (slug, name, framework id)
        self.elements: dict[int, tuple[int, str]] = {}  # id -> (component id, name)
        self.elements_of: dict[int, list[int]] = {}  # component id -> element ids
        self.plays: dict[int, tuple[str, str]] = {}  # id -> (slug, title)
        self.resources: dict[int, tuple[str, str]] = {}
        self.suggested: list[
            tuple[int, int, str, str]
        ] = []  # (resource id, suggester id, title, url)
        self.public_playbooks: list[int] = []
        self.team_playbooks: list[int] = []  # live playbooks that are not public
        self.members: dict[int, list[int]] = {}  # playbook id -> member ids
        self.benchmark_id: int | None = None

    # --- helpers --------------------------------------------------------------------

    def next_id(self, model) -> int:
        name = model.__tablename__
        if name not in self._next:
            self._next[name] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        value = self._next[name]
        self._next[name] += 1
        return value

    def insert(self, table, rows: Iterable[dict], label: str | None = None) -> int:
        """Insert rows in batches; returns how many (and counts them in the report)."""
        table = getattr(table, "__table__", table)
        count, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                db.session.execute(table.insert(), batch)
                count, batch = count + len(batch), []
        if batch:
            db.session.execute(table.insert(), batch)
            count += len(batch)
        key = label or table.name
        self.report.counts[key] = self.report.counts.get(key, 0) + count
        return count

    def ago(self, max_days: float, min_days: float = 0.0) -> datetime:
        return self.now - timedelta(seconds=int(self.rng.uniform(min_days, max_days) * 86400))

    def after(self, moment: datetime, max_days: float) -> datetime:
        return min(
            self.now, moment + timedelta(seconds=int(self.rng.uniform(60, max_days * 86400)))
        )

    def say(self, message: str) -> None:
        self.progress(message)

    # --- people ---------------------------------------------------------------------

    def add_people(self) -> None:
        password_hash = hash_password(PASSWORD)
        rows = []
        for n in range(self.scale.users):
            first, last = self.write.person()
            user_id = self.next_id(User)
            role = (
                SiteRole.ADMIN
                if n == 0
                else SiteRole.MODERATOR
                if n % 100 == 1
                else SiteRole.MEMBER
            )
            if role is not SiteRole.MEMBER:
                self.moderators.append(user_id)
            joined = self.ago(900, 30)
            name = f"{first} {last}"
            rows.append(
                dict(
                    id=user_id,
                    email=f"{first}.{last}.{n + 1}@{slug(self.write.school())}.example.org".lower(),
                    display_name=name,
                    organization=self.write.school(),
                    role_title=self.write.pick(ROLE_TITLES),
                    password_hash=password_hash,
                    site_role=role,
                    is_active_account=True,
                    posts_held=False,
                    password_changed_at=joined,
                    created_at=joined,
                    updated_at=joined,
                )
            )
            self.users.append((user_id, name))
        self.insert(User, rows)
        self.names = dict(self.users)
        self.say(f"{len(rows)} accounts (password: {PASSWORD!r})")

    # --- library --------------------------------------------------------------------

    def add_library(self) -> None:
        self._load_existing_library()
        self._frameworks()
        self._plays()
        self._resources()
        self.say(
            f"library: {len(self.frameworks)} frameworks, {len(self.plays)} plays, "
            f"{len(self.resources)} resources, search index filled"
        )

    def _load_existing_library(self) -> None:
        for framework in db.session.execute(
            select(Framework.id, Framework.slug, Framework.name, Framework.edition)
        ):
            self.framework_refs[framework.id] = {
                "slug": framework.slug,
                "name": framework.name,
                "edition": framework.edition,
                "ref_id": framework.id,
            }
        for framework_id, component_id, component_slug, name in db.session.execute(
            select(Framework.id, Component.id, Component.slug, Component.name)
            .join(Component)
            .where(Framework.retired_at.is_(None))
            .order_by(Framework.id, Component.position)
        ):
            self.frameworks.setdefault(framework_id, []).append(component_id)
            self.components[component_id] = (component_slug, name, framework_id)
        for element_id, component_id, name in db.session.execute(
            select(Element.id, Element.component_id, Element.name).order_by(
                Element.component_id, Element.position
            )
        ):
            if component_id in self.components:
                self.elements[element_id] = (component_id, name)
                self.elements_of.setdefault(component_id, []).append(element_id)
        self.plays = {
            i: (s, t)
            for i, s, t in db.session.execute(
                select(Play.id, Play.slug, Play.title).where(Play.retired_at.is_(None))
            )
        }
        self.resources = {
            i: (s, t)
            for i, s, t in db.session.execute(
                select(Resource.id, Resource.slug, Resource.title).where(
                    Resource.retired_at.is_(None)
                )
            )
        }

    def _search_row(self, kind: str, ref_id: int, title: str, body: str) -> dict:
        # The same title and body the library services index (reindex_library gives the same rows).
        return dict(
            id=self.next_id(SearchDocument), kind=kind, ref_id=ref_id, title=title[:300], body=body
        )

    def _frameworks(self) -> None:
        frameworks, components, elements, search = [], [], [], []
        for n in range(self.scale.frameworks):
            framework_id, name = (
                self.next_id(Framework),
                f"{self.write.pick(['The', 'A', 'Our'])} "
                f"{self.write.topic().title()} Framework {n + 1}",
            )
            created = self.ago(700, 200)
            publisher, summary = self.write.publisher(), self.write.paragraph()
            frameworks.append(
                dict(
                    id=framework_id,
                    slug=f"{slug(name)}-{n + 1}",
                    name=name,
                    edition=str(2020 + n % 6),
                    publisher=publisher,
                    url=f"https://example.org/frameworks/{slug(name)}",
                    summary=summary,
                    created_at=created,
                    updated_at=created,
                )
            )
            self.framework_refs[framework_id] = {
                "slug": frameworks[-1]["slug"],
                "name": name,
                "edition": frameworks[-1]["edition"],
                "ref_id": framework_id,
            }
            search.append(
                self._search_row("framework", framework_id, name, f"{publisher}\n{summary}")
            )
            self.frameworks[framework_id] = []
            for position in range(self.rng.randint(3, 5)):
                component_id, component_name = (
                    self.next_id(Component),
                    self.write.topic().capitalize(),
                )
                component_slug, component_summary = (
                    f"{slug(component_name)}-{position}",
                    self.write.sentence(),
                )
                components.append(
                    dict(
                        id=component_id,
                        framework_id=framework_id,
                        position=position,
                        slug=component_slug,
                        name=component_name,
                        summary=component_summary,
                    )
                )
                self.frameworks[framework_id].append(component_id)
                self.components[component_id] = (component_slug, component_name, framework_id)
                lines = []
                for element_position in range(self.rng.randint(2, 5)):
                    element_id = self.next_id(Element)
                    element_name, description = self.write.play_title(), self.write.sentence()
                    elements.append(
                        dict(
                            id=element_id,
                            component_id=component_id,
                            position=element_position,
                            name=element_name,
                            description=description,
                        )
                    )
                    self.elements[element_id] = (component_id, element_name)
                    self.elements_of.setdefault(component_id, []).append(element_id)
                    lines.append(f"{element_name}. {description}")
                search.append(
                    self._search_row(
                        "component",
                        component_id,
                        f"{component_name} ({name})",
                        f"{component_summary}\n" + "\n".join(lines),
                    )
                )
        self.insert(Framework, frameworks)
        self.insert(Component, components)
        self.insert(Element, elements)
        self.insert(SearchDocument, search)

    def _plays(self) -> None:
        plays: list[dict[str, object]] = []
        audiences: list[dict[str, object]] = []
        serves: list[dict[str, object]] = []
        search: list[dict[str, object]] = []
        for n in range(self.scale.plays):
            play_id, title = self.next_id(Play), self.write.play_title()
            summary, body = self.write.paragraph(1, 2)[:400], self.write.play_body()
            created = self.ago(600, 60)
            plays.append(
                dict(
                    id=play_id,
                    slug=f"{slug(title)}-{n + 1}",
                    title=title,
                    summary=summary,
                    body=body,
                    body_html=render_markdown(body),
                    stage=self.write.pick(list(Stage)),
                    grade_band=self.write.pick(list(GradeBand)),
                    effort=self.write.pick(list(Effort)),
                    created_at=created,
                    updated_at=created,
                )
            )
            audiences.extend(
                dict(play_id=play_id, audience=a)
                for a in self.rng.sample(list(Audience), self.rng.randint(1, 3))
            )
            framework = self.rng.choice(list(self.frameworks))
            for component_id in self.rng.sample(
                self.frameworks[framework], min(2, len(self.frameworks[framework]))
            ):
                serves.append(dict(play_id=play_id, component_id=component_id))
            search.append(
                self._search_row("play", play_id, title, f"{summary}\n{plain_text(body)}")
            )
            self.plays[play_id] = (str(plays[-1]["slug"]), title)
        self.insert(Play, plays)
        self.insert(PlayAudience, audiences)
        self.insert(play_component, serves, "play_component")
        self.insert(SearchDocument, search)

    def _resources(self) -> None:
        resources: list[dict[str, object]] = []
        ideal: list[dict[str, object]] = []
        search: list[dict[str, object]] = []
        for n in range(self.scale.resources):
            resource_id, title = self.next_id(Resource), self.write.resource_title()
            organization = self.write.publisher()
            fields = dict(
                description=self.write.paragraph(),
                why_use_it=self.write.paragraph(1, 2),
                who_is_using=f"Teams in {self.write.school()} and {self.write.school()}."
                if n % 3
                else "",
            )
            url = f"https://example.org/{slug(organization)}/{slug(title)}-{n + 1}"
            suggester = self.rng.choice(self.users)[0] if n % 50 == 7 else None
            if suggester:
                self.suggested.append((resource_id, suggester, title, url))
            created = self.ago(800, 10)
            resources.append(
                dict(
                    id=resource_id,
                    slug=f"{slug(title)}-{n + 1}",
                    title=title,
                    organization=organization,
                    url=url,
                    resource_type=self.write.pick(list(ResourceType)),
                    suggested_by_id=suggester,
                    created_at=created,
                    updated_at=created,
                    **fields,
                )
            )
            ideal.extend(
                dict(resource_id=resource_id, ideal_user=u)
                for u in self.rng.sample(list(IdealUser), self.rng.randint(1, 3))
            )
            body = "\n".join(
                [organization, fields["description"], fields["why_use_it"], fields["who_is_using"]]
            )
            search.append(self._search_row("resource", resource_id, title, body))
            self.resources[resource_id] = (str(resources[-1]["slug"]), title)
        self.insert(Resource, resources)
        self.insert(ResourceIdealUser, ideal)
        self.insert(SearchDocument, search)

    # --- playbooks ------------------------------------------------------------------

    def add_playbooks(self) -> None:
        generated_playbooks.fill(self)
        self.say(
            f"{self.report.counts.get('playbook', 0)} playbooks ({len(self.public_playbooks)} public), "
            f"{self.report.counts.get('item', 0)} items; benchmark playbook {self.benchmark_id}"
        )

    # --- finishing ------------------------------------------------------------------

    def reset_sequences(self) -> None:
        """PostgreSQL hands out ids from sequences; move them past the ids written here."""
        if db.engine.dialect.name != "postgresql":
            return
        tables = {t.name: t for t in db.metadata.sorted_tables}
        for name in self._next:
            highest = select(func.coalesce(func.max(tables[name].c.id), 1)).scalar_subquery()
            db.session.execute(
                select(func.setval(func.pg_get_serial_sequence(f'"{name}"', "id"), highest))
            )
