"""Routes for /gallery: public playbooks, searchable and filterable."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from playbook.gallery import queries
from playbook.gallery.forms import GalleryForm
from playbook.library import queries as library_queries
from playbook.models import ItemStatus
from playbook.pagecache import cached_for_visitors
from playbook.pagination import page_arg, per_page
from playbook.permissions import access_public
from playbook.playbooks import queries as playbook_queries

bp = Blueprint("gallery", "playbook.gallery", url_prefix="/gallery")


@bp.route("/")
@cached_for_visitors
@access_public
def index():
    form = GalleryForm(
        library_queries.framework_choices(), library_queries.component_choices(), request.args
    )
    form.validate()
    value = lambda name: form[name].data if form[name].data and not form[name].errors else None  # noqa: E731
    framework, component = value("framework"), value("component")
    playbooks = queries.list_public(
        q=value("q") or "",
        scope=value("scope"),
        sort=value("sort") or "updated",
        framework_id=int(framework) if framework else None,
        component_id=int(component) if component else None,
        page=page_arg(),
        per_page=per_page(),
    )
    ids = [p.id for p in playbooks.items]
    return render_template(
        "gallery/index.html",
        title="Gallery of public playbooks",
        form=form,
        playbooks=playbooks,
        counts=playbook_queries.item_counts(ids),
        forks=queries.fork_counts(ids),
        statuses=list(ItemStatus),
    )
