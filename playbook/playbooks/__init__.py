"""Build, edit, version, share and export a team's playbook."""
from flask import Blueprint

bp = Blueprint("playbooks", __name__, url_prefix="/playbooks")

from playbook.playbooks import routes, routes_history, routes_items  # noqa: E402,F401
