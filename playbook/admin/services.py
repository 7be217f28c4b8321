"""Administration of people. Services commit; routes never do."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import or_, select

from playbook.extensions import db
from playbook.models import SiteRole, User
from playbook.permissions import Action, require


def list_users(query: str = "", page: int = 1, per_page: int = 50) -> Pagination:
    statement = select(User).order_by(User.display_name, User.id)
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(or_(User.email.like(pattern), User.display_name.ilike(pattern)))
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def set_site_role(actor: User | None, user: User, role: SiteRole | str) -> User:
    """Give `user` a site role. `actor` None means the command line (trusted)."""
    if actor is not None:
        require(actor, Action.USER_MANAGE, user)
    user.site_role = SiteRole(role)
    db.session.commit()
    return user
