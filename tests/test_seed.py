"""The starter library: what seed_library loads, that it is idempotent, and the CLI commands."""

from __future__ import annotations

import shutil

import pytest
import yaml
from sqlalchemy import delete, func, select

from playbook import create_app
from playbook.extensions import db as _db
from playbook.forms import web_url_problem
from playbook.library import services
from playbook.library.search import search_library
from playbook.library.seed import SEED_DIR, seed_library
from playbook.models import Component, Element, Framework, Play, Resource, SearchDocument, Stage


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts(db) -> dict:
    return {
        model.__name__: count(db, model)
        for model in (Framework, Component, Element, Play, Resource, SearchDocument)
    }


# --- what the seed holds ------------------------------------------------------------


def test_seed_loads_one_framework_with_four_components(db, library):
    [framework] = db.session.scalars(select(Framework)).all()
    assert framework.name and framework.publisher and framework.summary and not framework.is_retired
    assert [c.position for c in framework.components] == [0, 1, 2, 3]
    assert len({c.slug for c in framework.components}) == 4
    for component in framework.components:
        assert component.name and component.summary
        assert len(component.elements) >= 2
        assert [e.position for e in component.elements] == list(range(len(component.elements)))
        assert all(e.name and e.description for e in component.elements)
    assert library.added == {"frameworks": 1, "components": 4, "plays": 28, "resources": 12}


def test_seed_plays_cover_every_component_and_stage(db, library):
    plays = db.session.scalars(select(Play)).all()
    assert len(plays) >= 24
    assert {c.id for p in plays for c in p.components} == set(
        db.session.scalars(select(Component.id))
    )
    assert {p.stage for p in plays} == set(Stage)
    for play in plays:
        assert play.title and play.summary and play.body and play.components and play.audiences, (
            play.slug
        )
        assert "<h2>" in play.body_html and "<script" not in play.body_html, play.slug
        assert not play.is_retired
    assert len({p.slug for p in plays}) == len(plays)
    assert len({p.title for p in plays}) == len(plays)


def test_seed_resources_have_web_links(db, library):
    resources = db.session.scalars(select(Resource)).all()
    assert len(resources) == 12
    for resource in resources:
        assert resource.url.startswith(("http://", "https://")), resource.slug
        assert web_url_problem(resource.url) is None, resource.slug
        assert (
            resource.title
            and resource.organization
            and resource.description
            and resource.ideal_users
        )


def test_seed_indexes_everything_for_search(db, library):
    assert count(db, SearchDocument) == 1 + 4 + 28 + 12
    kinds = dict(
        db.session.execute(
            select(SearchDocument.kind, func.count()).group_by(SearchDocument.kind)
        ).all()
    )
    assert kinds == {"framework": 1, "component": 4, "play": 28, "resource": 12}
    for play in db.session.scalars(select(Play)):
        assert play.id in {
            h.ref_id for h in search_library(play.title, kind="play", per_page=50).hits
        }, play.title


def test_seed_matches_the_yaml_files(db, library):
    plays = yaml.safe_load((SEED_DIR / "plays.yaml").read_text(encoding="utf-8"))
    stored = {p.slug: p for p in db.session.scalars(select(Play))}
    assert set(stored) == {item["slug"] for item in plays}
    for item in plays:
        play = stored[item["slug"]]
        assert play.title == item["title"] and play.stage.value == item["stage"]
        assert [c.slug for c in play.components] == [
            s for s in _component_order(db) if s in item["components"]
        ]
        assert sorted(a.value for a in play.audiences) == sorted(item["audience"])


def _component_order(db) -> list[str]:
    return list(db.session.scalars(select(Component.slug).order_by(Component.position)))


# --- running it again --------------------------------------------------------------


def test_seeding_twice_adds_nothing(db, library):
    before = counts(db)
    report = seed_library()
    assert report.added == {"frameworks": 0, "components": 0, "plays": 0, "resources": 0}
    assert str(report) == "0 frameworks, 0 components, 0 plays, 0 resources added"
    assert counts(db) == before


def test_admin_edits_to_seeded_entries_survive_a_reseed(db, library, admin):
    play = db.session.scalar(select(Play).where(Play.slug == "pick-a-starting-framework"))
    component = db.session.scalar(select(Component).where(Component.slug == "learner-led"))
    services.update_play(
        admin,
        play,
        title="Our zebrafinch framework pick",
        summary="Edited.",
        body="Edited body.",
        stage="huddle",
        grade_band="K-2",
        effort="low",
        audiences=["family"],
        component_ids=[component.id],
    )
    resource = db.session.scalar(select(Resource).order_by(Resource.id))
    services.set_retired(admin, resource, True)
    services.update_component(
        admin, component, name="Learner Led (ours)", summary="Ours.", elements="Only one"
    )
    before = counts(db)

    seed_library()

    db.session.expire_all()
    play = db.session.get(Play, play.id)
    assert (play.title, play.body, play.stage) == (
        "Our zebrafinch framework pick",
        "Edited body.",
        Stage.HUDDLE,
    )
    assert [c.slug for c in play.components] == ["learner-led"]
    assert db.session.get(Resource, resource.id).is_retired
    component = db.session.get(Component, component.id)
    assert component.name == "Learner Led (ours)" and [e.name for e in component.elements] == [
        "Only one"
    ]
    assert counts(db) == before
    assert [h.ref_id for h in search_library("zebrafinch").hits] == [play.id]
    assert not [
        h for h in search_library(resource.title, kind="resource").hits if h.ref_id == resource.id
    ]


def test_seed_adds_only_what_is_missing(db, library, tmp_path):
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    plays = yaml.safe_load((seed_dir / "plays.yaml").read_text(encoding="utf-8"))
    plays.append({**plays[0], "slug": "a-brand-new-play", "title": "A brand new play"})
    (seed_dir / "plays.yaml").write_text(yaml.safe_dump(plays), encoding="utf-8")
    report = seed_library(seed_dir)
    assert report.added == {"frameworks": 0, "components": 0, "plays": 1, "resources": 0}
    assert count(db, Play) == 29
    assert search_library("brand new").total == 1


def test_seed_with_a_bad_resource_link_writes_nothing(db, tmp_path):
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    resources = yaml.safe_load((seed_dir / "resources.yaml").read_text(encoding="utf-8"))
    resources[-1]["url"] = "javascript:alert(1)"
    (seed_dir / "resources.yaml").write_text(yaml.safe_dump(resources), encoding="utf-8")
    with pytest.raises(ValueError, match=resources[-1]["slug"]):
        seed_library(seed_dir)
    db.session.rollback()
    assert set(counts(db).values()) == {0}


# --- the CLI -------------------------------------------------------------------------


def test_seed_library_command_loads_then_adds_nothing(runner, db):
    result = runner.invoke(args=["seed-library"])
    assert result.exit_code == 0, result.output
    assert (
        result.output.strip()
        == "Starter library: 1 frameworks, 4 components, 28 plays, 12 resources added;"
        " 3 survey instruments added."
    )
    assert count(db, Play) == 28
    result = runner.invoke(args=["seed-library"])
    assert result.exit_code == 0, result.output
    assert "0 frameworks, 0 components, 0 plays, 0 resources added" in result.output
    assert "0 survey instruments added" in result.output
    assert count(db, Play) == 28


def test_reindex_command_rebuilds_search(runner, db, library):
    db.session.execute(delete(SearchDocument))
    db.session.commit()
    assert search_library("personalized").total == 0
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Indexed 41 entries."  # 1 framework, 28 plays, 12 resources
    assert count(db, SearchDocument) == 1 + 4 + 28 + 12
    assert search_library("personalized").total >= 10


def test_commands_have_help_text(runner):
    for command in ("seed-library", "reindex", "setup"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
    assert "starter framework" in runner.invoke(args=["seed-library", "--help"]).output


@pytest.fixture
def file_app(tmp_path):
    """An app on a fresh, empty SQLite file: no tables until `flask setup` makes them."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_setup_migrates_an_empty_database_and_seeds_it(file_app):
    runner = file_app.test_cli_runner()
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert (
        "Database is up to date; starter library: 1 frameworks, 4 components, 28 plays, 12 resources added;"
        " 3 survey instruments added." in result.output
    )
    with file_app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(Play)) == 28
        assert search_library("personal").total >= 10  # the migration made the full-text index
        _db.session.remove()

    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert "0 frameworks, 0 components, 0 plays, 0 resources added" in result.output
    assert "0 survey instruments added" in result.output
    with file_app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(Play)) == 28
        _db.session.remove()
