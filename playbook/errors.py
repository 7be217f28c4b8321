"""Error pages in the site's look; a 500 rolls back the session first."""

from __future__ import annotations

import contextlib

from flask import (
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_login import login_url
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, SecurityError

from playbook.extensions import db, login_manager

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Page not found", "We could not find that page. It may have moved or never existed."),
    405: ("Not allowed here", "That action is not available at this address."),
    413: ("Too large", "What you sent is larger than we accept. Please send something smaller."),
    429: (
        "Too many requests",
        "You have made too many requests. Please wait a little and try again.",
    ),
    500: (
        "Something went wrong",
        "An unexpected error happened on our side. Nothing you sent was half-saved; please try again.",
    ),
    503: (
        "Temporarily unavailable",
        "The service is busy or under maintenance. Nothing you sent was saved; "
        "please try again in a minute.",
    ),
}
# How long a client should wait before trying again after a 503 (the Retry-After header).
RETRY_AFTER_SECONDS = 30


def wants_json() -> bool:
    """True for requests from our scripts, which ask for JSON answers."""
    return request.accept_mimetypes.best == "application/json"


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    if code >= 500:
        _forget_user()
    headers = {"Cache-Control": "no-store"} if code >= 500 else {}
    if wants_json():
        return jsonify(ok=False, error=detail or message), code, headers
    if request.url_rule is None and _unknown_host():
        # A Host this site does not answer to: no page of ours (and no link) to build.
        return (
            f"{title}: this site does not answer to that host name.",
            code,
            {"Content-Type": "text/plain"},
        )
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=title,
            message=detail or message,
            minimal_nav=code >= 500,
        ),
        code,
        headers,
    )


def _unknown_host() -> bool:
    try:
        _ = request.host  # raises for a Host outside TRUSTED_HOSTS
    except SecurityError:
        return True
    return False


def _forget_user() -> None:
    """A 500 or 503 may come from the database itself, so the rest of the request must
    not ask it again: the person is treated as unknown (their row, expired by the
    rollback or never loaded, would be read again on first use), the navigation counts
    nothing, and the no-store answer needs no per-person cache decision."""
    g.page_without_database = True
    g._login_user = login_manager.anonymous_user()


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400 or error.code not in MESSAGES:
        return error
    return render_error(error.code)


def _csrf_error(error: CSRFError):
    return render_error(
        400,
        "Your form expired or was sent from somewhere else. Please reload the page and try again.",
    )


def _rollback() -> None:
    """Undo the request's half-done work. A connection that is already gone has
    nothing left to undo; the teardown closes the session."""
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()


def _server_error(error: Exception):
    _rollback()
    return render_error(500)


def _database_unavailable(error: SQLAlchemyError):
    """A stopped, unreachable, locked or overloaded database: roll back whatever was
    half-done and ask the visitor to try again shortly (503 with Retry-After). Other
    database errors are bugs and go on to the 500 handler."""
    if isinstance(error, DBAPIError) and not (
        isinstance(error, OperationalError) or error.connection_invalidated
    ):
        raise error
    current_app.logger.warning(
        "Database unavailable (%s %s): %s",
        request.method,
        request.path,
        str(error).splitlines()[0] if str(error) else type(error).__name__,
    )
    _rollback()
    response = make_response(render_error(503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _end_session_quietly(error: BaseException | None) -> None:
    """Close the request's database session, even if the connection died after the
    answer was made (the network to the database cut, a server restart): by then the
    answer is final and there is nothing left to undo, so the failure is logged, not
    turned into a 500 for a request that succeeded."""
    try:
        db.session.remove()
    except SQLAlchemyError as failure:
        current_app.logger.warning(
            "Closing the database session failed: %s", str(failure).splitlines()[0]
        )
        db.session.registry.clear()


def unauthorized():
    """A visitor needs to sign in: scripts get 401, pages go to the sign-in form and
    come back afterwards."""
    if wants_json():
        return make_response(jsonify(ok=False, error="Please sign in again."), 401)
    flash("Please sign in to continue.", "info")
    return redirect(
        login_url(
            "auth.login", next_url=request.full_path if request.query_string else request.path
        )
    )


def register(app: Flask) -> None:
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first.
    app.teardown_appcontext(_end_session_quietly)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DBAPIError, _database_unavailable)
    app.register_error_handler(PoolTimeoutError, _database_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
