"""The gallery of public playbooks."""

from flask import Blueprint

bp = Blueprint("gallery", __name__, url_prefix="/gallery")

from playbook.gallery import routes  # noqa: E402,F401
