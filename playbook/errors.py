"""Error pages in the site's look; a 500 rolls back the session first."""
from __future__ import annotations

from flask import Flask, flash, jsonify, make_response, redirect, render_template, request
from flask_login import login_url
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from playbook.extensions import db

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Page not found", "We could not find that page. It may have moved or never existed."),
    405: ("Not allowed here", "That action is not available at this address."),
    413: ("Too large", "What you sent is larger than we accept. Please send something smaller."),
    429: ("Too many requests", "You have made too many requests. Please wait a little and try again."),
    500: ("Something went wrong", "An unexpected error happened on our side. Nothing you sent was half-saved; please try again."),
    503: ("Temporarily unavailable", "The service is busy or under maintenance. Please try again in a minute."),
}


def wants_json() -> bool:
    """True for requests from our scripts, which ask for JSON answers."""
    return request.accept_mimetypes.best == "application/json"


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    if wants_json():
        return jsonify(ok=False, error=detail or message), code
    # A 500 or 503 may come from the database itself: render without touching it.
    return render_template("errors/error.html", code=code, title=title, message=detail or message,
                           minimal_nav=code >= 500), code


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400 or error.code not in MESSAGES:
        return error
    return render_error(error.code)


def _csrf_error(error: CSRFError):
    return render_error(400, "Your form expired or was sent from somewhere else. Please reload the page and try again.")


def _server_error(error: Exception):
    db.session.rollback()
    return render_error(500)


def _database_unavailable(error: OperationalError):
    """A stopped or locked database: roll back whatever was half-done and say so."""
    db.session.rollback()
    return render_error(503)


def unauthorized():
    """A visitor needs to sign in: scripts get 401, pages go to the sign-in form and
    come back afterwards."""
    if wants_json():
        return make_response(jsonify(ok=False, error="Please sign in again."), 401)
    flash("Please sign in to continue.", "info")
    return redirect(login_url("auth.login", next_url=request.full_path if request.query_string else request.path))


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
