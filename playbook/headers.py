"""Security headers on every response; caching rules and validators (ETag, 304)."""

from __future__ import annotations

from flask import Flask, Response, current_app, request, session
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault(
        "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    )
    if current_app.config.get("PLAYBOOK_HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def add_cache_headers(response: Response) -> Response:
    """Who may keep a copy of a page, and a validator so a browser can ask again cheaply.

    A signed-in person's pages, and any response that sets a cookie, are theirs
    alone: shared caches must not store them (private, no-store), and they never get
    a validator, so never a 304 meant for someone else. A visitor's HTML page gets a
    weak ETag computed from the body this very request produced (so it can only
    match what this visitor would be sent anyway) and must be revalidated before
    reuse (no-cache); a matching If-None-Match gets 304 Not Modified. A visitor whose
    browser holds a session (a secret link, a flashed message) gets private copies
    only. Every page varies by cookie."""
    if request.endpoint == "static" or "Cache-Control" in response.headers:
        return response
    response.vary.add("Cookie")
    if current_user.is_authenticated or session.modified:
        response.headers["Cache-Control"] = "private, no-store"
        return response
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.is_streamed
        and not response.direct_passthrough
    ):
        response.cache_control.no_cache = True
        if session:
            response.cache_control.private = True
        response.add_etag(weak=True)
        response.make_conditional(request)
    return response


def register(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.after_request(add_cache_headers)
