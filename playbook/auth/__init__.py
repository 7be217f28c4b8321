"""Registering, signing in and out, and resetting a forgotten password."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from playbook.auth import routes  # noqa: E402,F401
