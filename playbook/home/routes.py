"""Routes for / : the front page."""

from __future__ import annotations

from flask import Blueprint, render_template

from playbook.library import queries
from playbook.library.forms import SearchForm
from playbook.models import Stage
from playbook.pagecache import cached_for_visitors
from playbook.permissions import access_public

bp = Blueprint("home", "playbook.home")


@bp.route("/")
@cached_for_visitors
@access_public
def index():
    return render_template(
        "home/index.html",
        title="Personalized learning, written down",
        counts=queries.library_counts(),
        stages=list(Stage),
        search_form=SearchForm(),
    )
