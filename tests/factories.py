"""Plain functions that make test data with sensible defaults and unique values."""

from __future__ import annotations

import itertools

from playbook.auth import services as auth_services
from playbook.extensions import db
from playbook.library import services as library_services
from playbook.models import Component, Framework, Play, Playbook, Resource, SiteRole, User
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


def make_playbook(owner: User, **overrides) -> Playbook:
    n = next(_counter)
    fields = dict(title=f"Playbook {n}", scope="school", organization="Test School", vision="")
    fields.update(overrides)
    return playbook_services.create_playbook(owner, **fields)
