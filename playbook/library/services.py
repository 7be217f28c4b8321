"""Writes to the library: frameworks, components, plays and resources, and their
search rows. Services commit; routes never do. Only admins may call them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import select

from playbook.extensions import db
from playbook.library import search
from playbook.models import (
    Audience,
    Component,
    Effort,
    Element,
    Framework,
    GradeBand,
    IdealUser,
    InstrumentItem,
    Play,
    Resource,
    ResourceType,
    Stage,
    User,
    utcnow,
)
from playbook.permissions import Action, require
from playbook.sanitize import plain_text, render_markdown
from playbook.slugs import slugify

# A library entry with a slug and a search row of its own.
Entry = TypeVar("Entry", Play, Resource, Framework)
# Form data for an entry's fields, keyword by keyword (each form checks its own).
Fields = dict[str, Any]


class LibraryError(ValueError):
    """Input that a form cannot catch on its own (ids that do not exist, and so on)."""


def _unique_slug(
    model: type[Play] | type[Resource] | type[Framework], title: str, current_id: int | None = None
) -> str:
    base = slugify(title)
    taken = set(
        db.session.scalars(
            select(model.slug).where(model.slug.like(f"{base}%"), model.id != (current_id or 0))
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _components_by_id(component_ids: Iterable[int]) -> list[Component]:
    ids = list(dict.fromkeys(int(i) for i in component_ids))
    found = db.session.scalars(select(Component).where(Component.id.in_(ids))).all() if ids else []
    if len(found) != len(ids):
        raise LibraryError("One of the chosen framework components does not exist.")
    by_id = {c.id: c for c in found}
    return [by_id[i] for i in ids]


def _create(
    actor: User,
    entry: Entry,
    apply: Callable[..., None],
    index: Callable[[Entry], None],
    fields: Fields,
) -> Entry:
    """The one way an entry enters the library: check, fill, save, index, commit."""
    require(actor, Action.LIBRARY_EDIT)
    apply(entry, **fields)
    db.session.add(entry)
    db.session.flush()
    index(entry)
    db.session.commit()
    return entry


def _update(
    actor: User,
    entry: Entry,
    apply: Callable[..., None],
    index: Callable[[Entry], None],
    fields: Fields,
) -> Entry:
    require(actor, Action.LIBRARY_EDIT, entry)
    apply(entry, **fields)
    index(entry)
    db.session.commit()
    return entry


# --- plays -----------------------------------------------------------------


def index_play(play: Play) -> None:
    """Bring the play's search row up to date: indexed while live, removed once
    retired. Not committed."""
    if play.is_retired:
        search.unindex_entry("play", play.id)
    else:
        search.index_entry("play", play.id, play.title, f"{play.summary}\n{plain_text(play.body)}")


def apply_play(
    play: Play,
    *,
    title: str,
    summary: str,
    body: str,
    stage: str,
    grade_band: str,
    effort: str,
    audiences: Iterable[str],
    component_ids: Iterable[int],
) -> None:
    """Set a play's fields from checked form values (the body rendered through
    sanitize). No permission check, not committed: callers check and save."""
    play.title, play.summary, play.body = title.strip(), summary.strip(), body
    play.body_html = render_markdown(body)
    play.stage, play.grade_band, play.effort = Stage(stage), GradeBand(grade_band), Effort(effort)
    play.set_audiences([Audience(a) for a in audiences])
    play.components = _components_by_id(component_ids)


def create_play(actor: User, **fields: Any) -> Play:
    """Add a play to the library. Raises LibraryError for unknown component ids."""
    return _create(
        actor, Play(slug=_unique_slug(Play, fields["title"])), apply_play, index_play, fields
    )


def update_play(actor: User, play: Play, **fields: Any) -> Play:
    """Change a play's fields. Raises LibraryError for unknown component ids."""
    return _update(actor, play, apply_play, index_play, fields)


# --- resources -------------------------------------------------------------


def index_resource(resource: Resource) -> None:
    """Bring the resource's search row up to date: indexed while live, removed
    once retired. Not committed."""
    if resource.is_retired:
        search.unindex_entry("resource", resource.id)
    else:
        body = "\n".join(
            [
                resource.organization,
                resource.description,
                resource.why_use_it,
                resource.who_is_using,
            ]
        )
        search.index_entry("resource", resource.id, resource.title, body)


def apply_resource(
    resource: Resource,
    *,
    title: str,
    organization: str,
    url: str,
    description: str,
    resource_type: str,
    ideal_users: Iterable[str],
    why_use_it: str | None,
    who_is_using: str | None,
) -> None:
    """Set a resource's fields from checked form values (the description rendered
    through sanitize). No permission check, not committed: callers check and save."""
    resource.title, resource.organization, resource.url = (
        title.strip(),
        organization.strip(),
        url.strip(),
    )
    # Optional fields arrive as None when a request leaves them out.
    resource.description, resource.why_use_it = description.strip(), (why_use_it or "").strip()
    resource.who_is_using = (who_is_using or "").strip()
    resource.resource_type = ResourceType(resource_type)
    resource.set_ideal_users([IdealUser(u) for u in ideal_users])


def create_resource(actor: User, **fields: Any) -> Resource:
    """Add a resource to the library (its URL was checked by the form)."""
    return _create(
        actor,
        Resource(slug=_unique_slug(Resource, fields["title"])),
        apply_resource,
        index_resource,
        fields,
    )


def add_suggested_resource(actor: User, suggested_by_id: int, **fields: Any) -> Resource:
    """A moderator approving a member's suggestion adds it to the library, crediting
    the member. Not committed: it is part of the moderator's decision."""
    require(actor, Action.MODERATE)
    resource = Resource(
        slug=_unique_slug(Resource, fields["title"]), suggested_by_id=suggested_by_id
    )
    apply_resource(resource, **fields)
    db.session.add(resource)
    db.session.flush()
    index_resource(resource)
    return resource


def update_resource(actor: User, resource: Resource, **fields: Any) -> Resource:
    return _update(actor, resource, apply_resource, index_resource, fields)


# --- frameworks ------------------------------------------------------------


def index_framework(framework: Framework) -> None:
    """Bring the search rows of a framework and its components up to date:
    indexed while live, removed once retired. Not committed."""
    if framework.is_retired:
        search.unindex_entry("framework", framework.id)
        for component in framework.components:
            search.unindex_entry("component", component.id)
        return
    search.index_entry(
        "framework", framework.id, framework.name, f"{framework.publisher}\n{framework.summary}"
    )
    for component in framework.components:
        elements = "\n".join(f"{e.name}. {e.description}" for e in component.elements)
        search.index_entry(
            "component",
            component.id,
            f"{component.name} ({framework.name})",
            f"{component.summary}\n{elements}",
        )


def apply_framework(
    framework: Framework, *, name: str, edition: str, publisher: str, url: str | None, summary: str
) -> None:
    """Set a framework's own fields from checked form values. No permission
    check, not committed: callers check and save."""
    framework.name, framework.edition, framework.publisher = (
        name.strip(),
        edition.strip(),
        publisher.strip(),
    )
    framework.url, framework.summary = (url or "").strip(), summary.strip()


def create_framework(actor: User, **fields: Any) -> Framework:
    """Add a framework; its components are added one by one afterwards."""
    return _create(
        actor,
        Framework(slug=_unique_slug(Framework, fields["name"])),
        apply_framework,
        index_framework,
        fields,
    )


def update_framework(actor: User, framework: Framework, **fields: Any) -> Framework:
    return _update(actor, framework, apply_framework, index_framework, fields)


def parse_elements(lines: str) -> list[tuple[str, str]]:
    """'Name: description' per line (the description is optional) into pairs."""
    pairs = []
    for line in (lines or "").splitlines():
        line = line.strip().lstrip("-*").strip()
        if not line:
            continue
        name, _, description = line.partition(":")
        pairs.append((name.strip()[:200], description.strip()))
    return pairs


def _apply_component(component: Component, *, name: str, summary: str, elements: str) -> None:
    component.name, component.summary = name.strip(), summary.strip()
    pairs = parse_elements(elements)
    existing = list(component.elements)
    component.elements = []
    for position, (element_name, description) in enumerate(pairs):
        # Keep element rows (and their ids) where the position is unchanged.
        element = existing[position] if position < len(existing) else Element()
        element.position, element.name, element.description = position, element_name, description
        component.elements.append(element)


def add_component(actor: User, framework: Framework, **fields: Any) -> Component:
    """Append a component (with its elements) to a framework."""
    require(actor, Action.LIBRARY_EDIT, framework)
    taken = {c.slug for c in framework.components}
    slug, n = slugify(fields["name"]), 2
    while slug in taken:
        slug, n = f"{slugify(fields['name'])}-{n}", n + 1
    component = Component(slug=slug, position=len(framework.components))
    _apply_component(component, **fields)
    framework.components.append(component)
    db.session.flush()
    index_framework(framework)
    db.session.commit()
    return component


def _refuse_dropping_measured_elements(component: Component, keep: int) -> None:
    """Elements past the first `keep` would be deleted; a survey question that measures
    one holds it (its answers must keep their meaning), so the edit is refused."""
    dropped = [e.id for e in component.elements[keep:]]
    if dropped and db.session.scalar(
        select(InstrumentItem.id).where(InstrumentItem.element_id.in_(dropped)).limit(1)
    ):
        raise LibraryError(
            "A survey instrument has questions about the elements you removed; "
            "keep them (you may rename them) or take those questions out first."
        )


def update_component(actor: User, component: Component, **fields: Any) -> Component:
    """Change a component and its elements (LibraryError, with nothing changed, when
    that would delete an element a survey question measures)."""
    require(actor, Action.LIBRARY_EDIT, component.framework)
    _refuse_dropping_measured_elements(component, len(parse_elements(fields["elements"])))
    _apply_component(component, **fields)
    index_framework(component.framework)
    db.session.commit()
    return component


# --- retiring --------------------------------------------------------------


def _index_entry(entry: Play | Resource | Framework) -> None:
    if isinstance(entry, Play):
        index_play(entry)
    elif isinstance(entry, Resource):
        index_resource(entry)
    else:
        index_framework(entry)


def set_retired(actor: User, entry: Play | Resource | Framework, retired: bool) -> None:
    """Retire an entry (hidden from lists and search, kept for what refers to it) or
    bring it back."""
    require(actor, Action.LIBRARY_EDIT, entry)
    entry.retired_at = utcnow() if retired else None
    _index_entry(entry)
    db.session.commit()


def reindex_library() -> int:
    """Rebuild every search row from the library tables; returns the number indexed."""
    search.clear_index()
    count = _reindex(Play) + _reindex(Resource) + _reindex(Framework)
    db.session.commit()
    return count


def _reindex(model: type[Entry]) -> int:
    count = 0
    for entry in db.session.scalars(select(model)):
        _index_entry(entry)
        count += 1
    return count
