"""Comments on plays, resources, framework components and playbooks; flags; resource
suggestions and each member's own contributions."""

from flask import Blueprint

bp = Blueprint("comments", __name__, url_prefix="/comments")

from playbook.comments import routes, routes_suggestions  # noqa: E402,F401
