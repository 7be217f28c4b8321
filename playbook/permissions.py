"""Who may do what, decided in one place.

Views declare their rule with @access / @access_login / @access_public; objects are
loaded and checked with load_or_404(); templates ask the same can() through a Jinja
global. Every rule below is a small predicate with its contract in the docstring."""
from __future__ import annotations

import enum
from functools import wraps
from typing import Any, Callable

from flask import abort
from flask_login import current_user

from playbook.extensions import db, login_manager


class Action(str, enum.Enum):
    LIBRARY_VIEW = "library.view"
    LIBRARY_EDIT = "library.edit"
    ACCOUNT_EDIT = "account.edit"
    ADMIN_ACCESS = "admin.access"
    USER_MANAGE = "user.manage"


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _is_admin(user) -> bool:
    return _signed_in(user) and bool(user.is_admin)


def _can_view_library_entry(user, entry) -> bool:
    """Anyone, signed in or not, may read the library; retired entries only admins."""
    if entry is None:
        return True
    return not getattr(entry, "is_retired", False) or _is_admin(user)


def _can_edit_library(user, entry) -> bool:
    """Only admins add, edit and retire frameworks, plays and resources."""
    return _is_admin(user)


def _can_edit_account(user, account) -> bool:
    """A signed-in person edits their own profile and password, nobody else's."""
    if not _signed_in(user):
        return False
    return account is None or account.id == user.id


def _can_access_admin(user, obj) -> bool:
    """The admin area is for admins."""
    return _is_admin(user)


def _can_manage_user(user, target) -> bool:
    """Admins change other people's site roles; never their own (no self-lockout)."""
    return _is_admin(user) and (target is None or target.id != user.id)


_RULES: dict[Action, Callable[[Any, Any], bool]] = {
    Action.LIBRARY_VIEW: _can_view_library_entry,
    Action.LIBRARY_EDIT: _can_edit_library,
    Action.ACCOUNT_EDIT: _can_edit_account,
    Action.ADMIN_ACCESS: _can_access_admin,
    Action.USER_MANAGE: _can_manage_user,
}

# Actions that decide whether an object may be seen at all: failing them answers 404,
# so the object's existence is not revealed.
_VIEW_ACTIONS = {Action.LIBRARY_VIEW}


def can(user, action: Action | str, obj: Any = None) -> bool:
    """True when `user` (a User or the anonymous user) may perform `action` on `obj`."""
    return _RULES[Action(action)](user, obj)


def require(user, action: Action | str, obj: Any = None) -> None:
    """Abort unless can(user, action, obj): 404 when the user may not even view the
    object, a sign-in redirect for visitors, 403 otherwise."""
    action = Action(action)
    if can(user, action, obj):
        return
    if action in _VIEW_ACTIONS and obj is not None:
        abort(404)
    if not _signed_in(user):
        abort(login_manager.unauthorized())
    abort(403)


def load_or_404(model: type, object_id: int, action: Action | str) -> Any:
    """Load model row `object_id` and check `action` on it for the current user."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    require(current_user, action, obj)
    return obj


def _declare(view: Callable, rule: str, check: Callable[[], None]) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        check()
        return view(*args, **kwargs)

    wrapper.access_rule = rule
    return wrapper


def access(action: Action) -> Callable:
    """The view needs `action` (checked without an object; object checks follow in the view)."""
    return lambda view: _declare(view, action.value, lambda: require(current_user, action))


def access_login(view: Callable) -> Callable:
    """The view is for any signed-in person; visitors are sent to sign in."""

    def check() -> None:
        if not _signed_in(current_user):
            abort(login_manager.unauthorized())

    return _declare(view, "login", check)


def access_public(view: Callable) -> Callable:
    """The view is open to everyone, visitors included."""
    return _declare(view, "public", lambda: None)
