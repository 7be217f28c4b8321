"""The shared library: browse and search frameworks, plays and resources; admins edit it."""

from playbook.library import routes_edit  # noqa: F401 (their routes join bp)
from playbook.library.routes import bp

__all__ = ["bp"]
