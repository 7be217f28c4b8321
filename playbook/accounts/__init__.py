"""A member's own profile and password."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

from playbook.accounts import routes  # noqa: E402,F401
