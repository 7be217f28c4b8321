"""Build, edit, version, share and export a team's playbook."""

from flask import jsonify, request, session
from flask_login import current_user

from playbook.errors import wants_json
from playbook.playbooks import (  # noqa: F401 (their routes join bp)
    routes_history,
    routes_huddle,
    routes_items,
    routes_live,
    routes_sharing,
)
from playbook.playbooks.route_helpers import conflict_page
from playbook.playbooks.routes import bp

__all__ = ["bp"]
from playbook.playbooks.services import Conflict
from playbook.playbooks.sharing import granted_links


@bp.errorhandler(Conflict)
def _conflict(conflict: Conflict):
    """A change based on a stale version, or one that lost a race with a teammate's
    save: nothing was applied; show what changed (409). Routes whose forms hold
    typed text catch Conflict themselves, to give that text back."""
    if wants_json():
        return jsonify(
            ok=False,
            conflict=True,
            error="Someone changed this playbook meanwhile. Reload to see it.",
        ), 409
    return conflict_page(conflict, None, None)


@bp.before_app_request
def _load_link_grants():
    """Secret links opened in this browser travel on the user object, where the
    permission rules read them."""
    if request.endpoint == "static":
        return
    current_user.link_grants = granted_links(session)
