"""Build, edit, version, share and export a team's playbook."""
from flask import Blueprint

bp = Blueprint("playbooks", __name__, url_prefix="/playbooks")

from playbook.playbooks import routes, routes_history, routes_items, routes_sharing  # noqa: E402,F401
from playbook.playbooks.sharing import granted_links  # noqa: E402


@bp.before_app_request
def _load_link_grants():
    """Secret links opened in this browser travel on the user object, where the
    permission rules read them."""
    from flask import request, session
    from flask_login import current_user

    if request.endpoint == "static":
        return
    current_user.link_grants = granted_links(session)
