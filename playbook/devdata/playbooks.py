"""Generated playbooks (see playbook.devdata): a mix of public, link-shared and private ones
with members, the default sections (and a few more), items pointing at plays,
resources and framework components or holding notes, and a first revision that is
a faithful snapshot of what was written. One public playbook, titled "Benchmark
playbook", has exactly BENCHMARK_ITEMS items."""

from __future__ import annotations

from datetime import date, timedelta

from playbook.devdata.scale import BENCHMARK_ITEMS, BENCHMARK_TITLE
from playbook.devdata.text import SECTION_EXTRAS
from playbook.models import (
    DEFAULT_SECTIONS,
    Item,
    ItemKind,
    ItemStatus,
    MemberRole,
    Membership,
    Playbook,
    Revision,
    Scope,
    Section,
    Visibility,
)
from playbook.playbooks.document import FORMAT
from playbook.sanitize import render_markdown
from playbook.tokens import hash_token

# Which section each kind of item usually goes in (index into DEFAULT_SECTIONS).
HOME_SECTION = {ItemKind.COMPONENT: [0], ItemKind.PLAY: [1, 2], ItemKind.RESOURCE: [3]}
KIND_WEIGHTS = {ItemKind.PLAY: 45, ItemKind.RESOURCE: 30, ItemKind.COMPONENT: 10, ItemKind.NOTE: 15}
STATUS_WEIGHTS = {
    ItemStatus.IDEA: 25,
    ItemStatus.PLANNED: 30,
    ItemStatus.PILOTING: 20,
    ItemStatus.ADOPTED: 20,
    ItemStatus.RETIRED: 5,
}
ROLE_WEIGHTS = {MemberRole.EDITOR: 50, MemberRole.COMMENTER: 25, MemberRole.VIEWER: 25}


def fill(run) -> None:
    pools = _Pools(run)
    rows: dict[str, list[dict[str, object]]] = {
        name: [] for name in ("playbook", "membership", "section", "item", "revision")
    }
    for n in range(run.scale.playbooks):
        benchmark = n == 0
        _playbook(
            run,
            pools,
            rows,
            benchmark=benchmark,
            items=BENCHMARK_ITEMS if benchmark else run.scale.items_per_playbook,
            title=BENCHMARK_TITLE if benchmark else None,
        )
    for model in (Playbook, Membership, Section, Item, Revision):
        run.insert(model, rows[model.__tablename__])


class _Pools:
    """Text written once and reused: visions and notes are rendered to HTML once each."""

    def __init__(self, run):
        self.notes = [
            (text, render_markdown(text)) for text in {run.write.note() for _ in range(400)}
        ]
        self.kinds = list(KIND_WEIGHTS)
        self.kind_weights = list(KIND_WEIGHTS.values())
        self.statuses = list(STATUS_WEIGHTS)
        self.status_weights = list(STATUS_WEIGHTS.values())
        self.roles = list(ROLE_WEIGHTS)
        self.role_weights = list(ROLE_WEIGHTS.values())
        self.plays = sorted(run.plays)
        self.resources = sorted(run.resources)
        self.components = sorted(run.components)
        self.frameworks = sorted(run.frameworks)


def _visibility(run, benchmark: bool) -> Visibility:
    if benchmark:
        return Visibility.PUBLIC
    roll = run.rng.random()
    return (
        Visibility.PUBLIC if roll < 0.5 else Visibility.LINK if roll < 0.65 else Visibility.PRIVATE
    )


def _playbook(
    run, pools: _Pools, rows: dict, *, benchmark: bool, items: int, title: str | None
) -> None:
    rng, write = run.rng, run.write
    playbook_id = run.next_id(Playbook)
    organization = write.school()
    scope = rng.choice([Scope.CLASSROOM, Scope.SCHOOL, Scope.SCHOOL, Scope.DISTRICT, Scope.NETWORK])
    title = title or f"{organization}: {write.topic()} playbook"
    vision = write.vision(organization)
    framework_id = (
        None
        if rng.random() < 0.05 and not benchmark
        else (pools.frameworks[0] if rng.random() < 0.7 else rng.choice(pools.frameworks))
    )
    visibility = _visibility(run, benchmark)
    deleted = not benchmark and rng.random() < 0.02
    forked_from = (
        rng.choice(run.public_playbooks) if run.public_playbooks and rng.random() < 0.1 else None
    )
    created = run.ago(400, 20)
    updated = run.after(created, 20)
    owner_id, owner_name = rng.choice(run.users)
    rows["playbook"].append(
        dict(
            id=playbook_id,
            title=title[:200],
            scope=scope,
            organization=organization,
            vision=vision,
            vision_html=render_markdown(vision),
            framework_id=framework_id,
            visibility=visibility,
            version=1,
            forked_from_id=None if benchmark else forked_from,
            created_by_id=owner_id,
            deleted_at=run.after(updated, 5) if deleted else None,
            link_token_hash=hash_token(f"generated-link-{run.scale.seed}-{playbook_id}")
            if visibility is Visibility.LINK
            else None,
            link_created_at=created if visibility is Visibility.LINK else None,
            link_last_used_at=None,
            created_at=created,
            updated_at=updated,
        )
    )
    members = _memberships(run, pools, rows, playbook_id, owner_id, created)
    if not deleted:
        (run.public_playbooks if visibility is Visibility.PUBLIC else run.team_playbooks).append(
            playbook_id
        )
        if benchmark:
            run.benchmark_id = playbook_id
            run.report.benchmark_playbook_id = playbook_id
    run.members[playbook_id] = [m for m, _ in members]
    sections = _sections_and_items(
        run, pools, rows, playbook_id, framework_id, members, items, created
    )
    rows["revision"].append(
        dict(
            id=run.next_id(Revision),
            playbook_id=playbook_id,
            number=1,
            actor_id=owner_id,
            created_at=updated,
            summary=f"{owner_name} started the playbook from the district template",
            snapshot=_snapshot(run, rows["playbook"][-1], sections),
        )
    )


def _memberships(
    run, pools: _Pools, rows: dict, playbook_id: int, owner_id: int, created
) -> list[tuple[int, str]]:
    """The owner and 1 to 11 others (now and then a second owner); (id, name) of each."""
    rng = run.rng
    others = [
        u
        for u, _ in rng.sample(run.users, min(len(run.users), rng.randint(2, 12)))
        if u != owner_id
    ]
    people = [(owner_id, MemberRole.OWNER)] + [
        (
            user_id,
            MemberRole.OWNER
            if rng.random() < 0.05
            else rng.choices(pools.roles, pools.role_weights)[0],
        )
        for user_id in others
    ]
    for user_id, role in people:
        rows["membership"].append(
            dict(
                id=run.next_id(Membership),
                playbook_id=playbook_id,
                user_id=user_id,
                role=role,
                created_at=created,
                updated_at=created,
            )
        )
    return [(user_id, run.names[user_id]) for user_id, _ in people]


def _sections_and_items(
    run, pools: _Pools, rows: dict, playbook_id: int, framework_id, members, count: int, created
) -> list[tuple[int, str, list[dict]]]:
    """Sections: id, title and items (as snapshot entries, for the revision)."""
    rng = run.rng
    titles = list(DEFAULT_SECTIONS) + rng.sample(SECTION_EXTRAS, rng.choice([0, 0, 0, 1, 2]))
    section_ids = [run.next_id(Section) for _ in titles]
    for position, (section_id, title) in enumerate(zip(section_ids, titles, strict=True)):
        rows["section"].append(
            dict(id=section_id, playbook_id=playbook_id, position=position, title=title)
        )
    placed: list[list[dict]] = [[] for _ in titles]
    components = run.frameworks.get(framework_id) or pools.components
    elements = [e for c in components for e in run.elements_of.get(c, [])]
    for n in range(count):
        kind = rng.choices(pools.kinds, pools.kind_weights)[0]
        home = HOME_SECTION.get(kind)
        index = rng.choice(home) if home and rng.random() < 0.85 else rng.randrange(len(titles))
        item = _item(run, pools, kind, components, elements, members, created, n)
        item.update(
            id=run.next_id(Item),
            playbook_id=playbook_id,
            section_id=section_ids[index],
            position=len(placed[index]),
        )
        placed[index].append(item)
        rows["item"].append(item)
    return list(zip(section_ids, titles, placed, strict=True))


def _item(
    run, pools: _Pools, kind: ItemKind, components, elements, members, created, n: int
) -> dict:
    rng = run.rng
    ref = {"play_id": None, "resource_id": None, "component_id": None}
    if kind is ItemKind.PLAY:
        ref["play_id"] = rng.choice(pools.plays)
    elif kind is ItemKind.RESOURCE:
        ref["resource_id"] = rng.choice(pools.resources)
    elif kind is ItemKind.COMPONENT:
        ref["component_id"] = rng.choice(components)
    element_id = None
    if (
        kind is ItemKind.COMPONENT
        and run.elements_of.get(ref["component_id"])
        and rng.random() < 0.5
    ):
        element_id = rng.choice(run.elements_of[ref["component_id"]])
    elif kind is not ItemKind.COMPONENT and elements and rng.random() < 0.3:
        element_id = rng.choice(elements)
    notes, notes_html = (
        rng.choice(pools.notes) if kind is ItemKind.NOTE or rng.random() < 0.6 else ("", "")
    )
    owner = rng.choice(members) if rng.random() < 0.6 else None
    when = run.after(created, 30)
    return dict(
        kind=kind,
        element_id=element_id,
        notes=notes,
        notes_html=notes_html,
        title=f"{run.write.topic().capitalize()} check-in {n + 1}" if kind is ItemKind.NOTE else "",
        status=rng.choices(pools.statuses, pools.status_weights)[0],
        owner_id=owner[0] if owner else None,
        target_date=date(run.now.year, 1, 1) + timedelta(days=rng.randrange(60, 700))
        if rng.random() < 0.5
        else None,
        created_at=when,
        updated_at=when,
        _owner_name=owner[1] if owner else None,
        **ref,
    )


def _snapshot(run, playbook: dict, sections: list[tuple[int, str, list[dict]]]) -> dict:
    """The playbook as playbook.playbooks.document.snapshot() describes it."""
    framework_id = playbook["framework_id"]
    return {
        "format": FORMAT,
        "title": playbook["title"],
        "scope": playbook["scope"].value,
        "organization": playbook["organization"],
        "vision": playbook["vision"],
        "framework": run.framework_refs[framework_id] if framework_id is not None else None,
        "sections": [
            {"id": id_, "title": title, "items": [_snapshot_item(run, item) for item in items]}
            for id_, title, items in sections
        ],
    }


def _snapshot_item(run, item: dict) -> dict:
    ref = None
    if item["play_id"]:
        ref = {
            "slug": run.plays[item["play_id"]][0],
            "title": run.plays[item["play_id"]][1],
            "ref_id": item["play_id"],
        }
    elif item["resource_id"]:
        slug, title = run.resources[item["resource_id"]]
        ref = {"slug": slug, "title": title, "ref_id": item["resource_id"]}
    elif item["component_id"]:
        slug, name, _ = run.components[item["component_id"]]
        ref = {"slug": slug, "title": name, "ref_id": item["component_id"]}
    element = None
    if item["element_id"]:
        component_id, name = run.elements[item["element_id"]]
        element = {
            "component": run.components[component_id][0],
            "name": name,
            "element_id": item["element_id"],
        }
    owner_name = item.pop("_owner_name")
    return {
        "id": item["id"],
        "kind": item["kind"].value,
        "ref": ref,
        "element": element,
        "title": item["title"],
        "notes": item["notes"],
        "status": item["status"].value,
        "owner": owner_name,
        "owner_id": item["owner_id"],
        "target_date": item["target_date"].isoformat() if item["target_date"] else None,
    }
