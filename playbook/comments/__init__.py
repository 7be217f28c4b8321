"""Comments on plays, resources, framework components and playbooks; flags; resource
suggestions and each member's own contributions."""

from playbook.comments import routes_suggestions  # noqa: F401 (their routes join bp)
from playbook.comments.routes import bp

__all__ = ["bp"]
