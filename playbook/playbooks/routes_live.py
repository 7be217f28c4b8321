"""The playbook page's live notice: what its script (static/js/live.js) asks every few
seconds, answered from playbook/playbooks/live.py."""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from playbook.permissions import Action, access, checked_or_404
from playbook.playbooks import live as live_news
from playbook.playbooks.routes import bp


@bp.route("/<int:playbook_id>/live")
@access(Action.PLAYBOOK_VIEW)
def live(playbook_id: int):
    """A GET, though it records a member as here: that is the one thing it can write,
    for the signed-in person only, and a conditional GET is what lets an unchanged
    answer be a bodiless 304. The answer is the person's own: shared caches must not
    keep it, the browser must ask again every time."""
    head = live_news.load_head(playbook_id, current_user) or abort(404)
    checked_or_404(head.playbook, Action.PLAYBOOK_VIEW)
    news = live_news.poll(current_user, head, request.args.get("since", type=int))
    response = jsonify(news.as_json())
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    response.add_etag()
    return response.make_conditional(request)
