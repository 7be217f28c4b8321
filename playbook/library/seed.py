"""The starter library: a framework, plays and resources loaded from the YAML files
in playbook/seed/. Loading is idempotent: entries are matched by slug and entries
that already exist are left as the admins have edited them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from playbook.extensions import db
from playbook.forms import web_url_problem
from playbook.library import services
from playbook.models import Component, Element, Framework, Play, Resource

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"


@dataclass
class SeedReport:
    added: dict[str, int] = field(
        default_factory=lambda: {"frameworks": 0, "components": 0, "plays": 0, "resources": 0}
    )

    def __str__(self) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in self.added.items()) + " added"


def _read(name: str, seed_dir: Path):
    with open(seed_dir / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _seed_framework(data: dict, report: SeedReport) -> None:
    framework = db.session.scalar(select(Framework).where(Framework.slug == data["slug"]))
    if framework is None:
        framework = Framework(slug=data["slug"])
        services.apply_framework(
            framework,
            name=data["name"],
            edition=str(data.get("edition", "")),
            publisher=data.get("publisher", ""),
            url=data.get("url", ""),
            summary=data.get("summary", ""),
        )
        db.session.add(framework)
        report.added["frameworks"] += 1
    have = {c.slug for c in framework.components}
    for position, item in enumerate(data["components"]):
        if item["slug"] in have:
            continue
        component = Component(
            slug=item["slug"], position=position, name=item["name"], summary=item.get("summary", "")
        )
        component.elements = [
            Element(position=i, name=e["name"], description=e.get("description", ""))
            for i, e in enumerate(item.get("elements", []))
        ]
        framework.components.append(component)
        report.added["components"] += 1
    db.session.flush()
    services.index_framework(framework)


def _seed_plays(items: list[dict], framework_slug: str, report: SeedReport) -> None:
    existing = set(db.session.scalars(select(Play.slug)))
    components = {
        c.slug: c.id
        for c in db.session.scalars(
            select(Component).join(Framework).where(Framework.slug == framework_slug)
        )
    }
    for item in items:
        if item["slug"] in existing:
            continue
        play = Play(slug=item["slug"])
        services.apply_play(
            play,
            title=item["title"],
            summary=item["summary"],
            body=item["body"],
            stage=item["stage"],
            grade_band=str(item["grade_band"]),
            effort=item["effort"],
            audiences=item["audience"],
            component_ids=[components[s] for s in item["components"]],
        )
        db.session.add(play)
        db.session.flush()
        services.index_play(play)
        report.added["plays"] += 1


def _seed_resources(items: list[dict], report: SeedReport) -> None:
    existing = set(db.session.scalars(select(Resource.slug)))
    for item in items:
        if item["slug"] in existing:
            continue
        problem = web_url_problem(item["url"])
        if problem:
            raise ValueError(f"Seed resource {item['slug']}: {problem}")
        resource = Resource(slug=item["slug"])
        services.apply_resource(
            resource,
            title=item["title"],
            organization=item["organization"],
            url=item["url"],
            description=item["description"],
            resource_type=item["resource_type"],
            ideal_users=item["ideal_users"],
            why_use_it=item.get("why_use_it", ""),
            who_is_using=item.get("who_is_using", ""),
        )
        db.session.add(resource)
        db.session.flush()
        services.index_resource(resource)
        report.added["resources"] += 1


def seed_library(seed_dir: Path = SEED_DIR) -> SeedReport:
    """Load the starter framework, plays and resources; a second run adds nothing."""
    report = SeedReport()
    framework = _read("framework.yaml", seed_dir)
    _seed_framework(framework, report)
    _seed_plays(_read("plays.yaml", seed_dir), framework["slug"], report)
    _seed_resources(_read("resources.yaml", seed_dir), report)
    db.session.commit()
    return report
