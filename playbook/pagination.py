"""Reading the page number from the query string."""

from flask import current_app, request

MAX_PAGE = 10_000


def page_arg(name: str = "page") -> int:
    """The requested page, clamped to 1..MAX_PAGE (bad input means page 1)."""
    page = request.args.get(name, 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


def per_page() -> int:
    return current_app.config["PLAYBOOK_PER_PAGE"]
