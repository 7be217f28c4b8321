"""Routes for browsing /library: overview, lists with filters, detail pages, search."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from playbook.comments.queries import load_thread
from playbook.library import queries
from playbook.library.forms import PlayFilterForm, ResourceFilterForm, SearchForm
from playbook.library.search import search_library
from playbook.models import TargetKind
from playbook.pagecache import cached_for_visitors
from playbook.pagination import page_arg, per_page
from playbook.permissions import Action, access_public, can, require

bp = Blueprint("library", "playbook.library", url_prefix="/library")


def _thread(kind: TargetKind, target_id: int):
    return load_thread(kind, target_id, current_user, page_arg("comments"))


def _valid_filters(form) -> dict:
    """Filter values that passed validation; an invalid one is dropped (and shown as an error)."""
    form.validate()
    return {
        name: field.data for name, field in form._fields.items() if field.data and not field.errors
    }


@bp.route("/")
@cached_for_visitors
@access_public
def index():
    return render_template(
        "library/index.html",
        title="Library",
        frameworks=queries.list_frameworks(),
        counts=queries.library_counts(),
    )


@bp.route("/plays/")
@cached_for_visitors
@access_public
def play_index():
    form = PlayFilterForm(queries.component_choices(), request.args)
    filters = _valid_filters(form)
    if "component" in filters:
        filters["component_id"] = int(filters.pop("component"))
    plays = queries.list_plays(
        **filters,
        page=page_arg(),
        per_page=per_page(),
        include_retired=can(current_user, Action.LIBRARY_EDIT),
    )
    return render_template("library/play_index.html", title="Plays", form=form, plays=plays)


@bp.route("/plays/<int:play_id>")
@cached_for_visitors
@access_public
def play_detail(play_id: int):
    play = queries.load_play(play_id) or abort(404)
    require(current_user, Action.LIBRARY_VIEW, play)
    public, public_total, others = queries.who_is_using(play_id=play.id)
    return render_template(
        "library/play_detail.html",
        title=play.title,
        play=play,
        using_public=public,
        using_public_total=public_total,
        using_others=others,
        thread=_thread(TargetKind.PLAY, play.id),
    )


@bp.route("/resources/")
@cached_for_visitors
@access_public
def resource_index():
    form = ResourceFilterForm(request.args)
    resources = queries.list_resources(
        **_valid_filters(form),
        page=page_arg(),
        per_page=per_page(),
        include_retired=can(current_user, Action.LIBRARY_EDIT),
    )
    return render_template(
        "library/resource_index.html", title="Resources", form=form, resources=resources
    )


@bp.route("/resources/<int:resource_id>")
@cached_for_visitors
@access_public
def resource_detail(resource_id: int):
    resource = queries.load_resource(resource_id) or abort(404)
    require(current_user, Action.LIBRARY_VIEW, resource)
    public, public_total, others = queries.who_is_using(resource_id=resource.id)
    return render_template(
        "library/resource_detail.html",
        title=resource.title,
        resource=resource,
        using_public=public,
        using_public_total=public_total,
        using_others=others,
        thread=_thread(TargetKind.RESOURCE, resource.id),
    )


@bp.route("/frameworks/")
@cached_for_visitors
@access_public
def framework_index():
    frameworks = queries.list_frameworks(include_retired=can(current_user, Action.LIBRARY_EDIT))
    return render_template(
        "library/framework_index.html", title="Frameworks", frameworks=frameworks
    )


@bp.route("/frameworks/<int:framework_id>")
@cached_for_visitors
@access_public
def framework_detail(framework_id: int):
    framework = queries.load_framework(framework_id) or abort(404)
    require(current_user, Action.LIBRARY_VIEW, framework)
    plays = queries.plays_by_component(framework.components)
    return render_template(
        "library/framework_detail.html", title=framework.name, framework=framework, plays=plays
    )


@bp.route("/components/<int:component_id>")
@cached_for_visitors
@access_public
def component_detail(component_id: int):
    component = queries.load_component(component_id) or abort(404)
    require(current_user, Action.LIBRARY_VIEW, component.framework)
    plays = queries.plays_by_component([component])[component.id]
    return render_template(
        "library/component_detail.html",
        title=component.name,
        component=component,
        plays=plays,
        thread=_thread(TargetKind.COMPONENT, component.id),
    )


@bp.route("/search")
@cached_for_visitors
@access_public
def search():
    form = SearchForm(request.args)
    query = _valid_filters(form)
    results = None
    if query.get("q"):
        results = search_library(
            query["q"], page=page_arg(), per_page=per_page(), kind=query.get("kind")
        )
    return render_template(
        "library/search.html", title="Search the library", form=form, results=results
    )
