"""Who may do what, decided in one place.

Views declare their rule with @access / @access_login / @access_public; objects are
loaded and checked with load_or_404(); templates ask the same can() through a Jinja
global. Every rule below is a small predicate with its contract in the docstring."""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g
from flask_login import current_user

from playbook.extensions import db, login_manager
from playbook.models import MemberRole, Visibility


class Action(str, enum.Enum):
    LIBRARY_VIEW = "library.view"
    LIBRARY_EDIT = "library.edit"
    ACCOUNT_EDIT = "account.edit"
    ADMIN_ACCESS = "admin.access"
    USER_MANAGE = "user.manage"
    PLAYBOOK_CREATE = "playbook.create"
    PLAYBOOK_VIEW = "playbook.view"
    PLAYBOOK_EDIT = "playbook.edit"
    PLAYBOOK_HISTORY = "playbook.history"
    PLAYBOOK_DELETE = "playbook.delete"
    PLAYBOOK_RESTORE = "playbook.restore"
    PLAYBOOK_FORK = "playbook.fork"
    PLAYBOOK_SHARE = "playbook.share"
    PLAYBOOK_LEAVE = "playbook.leave"
    COMMENT_POST = "comment.post"
    COMMENT_VIEW = "comment.view"
    COMMENT_EDIT = "comment.edit"
    COMMENT_DELETE = "comment.delete"
    COMMENT_FLAG = "comment.flag"
    SUGGESTION_CREATE = "suggestion.create"
    SUGGESTION_REVISE = "suggestion.revise"
    MODERATE = "moderate"


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


def _role(user, playbook):
    """The user's role on the playbook (None for visitors and non-members)."""
    return playbook.role_of(user) if _signed_in(user) else None


def _can_create_playbook(user, obj) -> bool:
    """Any signed-in person may start a playbook (or import or fork one into their own)."""
    return _signed_in(user)


def _holds_link(user, playbook) -> bool:
    """The person opened the playbook's current secret link in this browser (the
    grants travel on the user object; a regenerated or revoked link matches none)."""
    return (
        playbook.visibility is Visibility.LINK
        and playbook.link_token_hash is not None
        and playbook.link_token_hash in getattr(user, "link_grants", ())
    )


def _can_view_playbook(user, playbook) -> bool:
    """Members in any role read a playbook; so does anyone when it is public, and
    anyone holding its secret link when it is shared by link. Nobody reads one in the bin."""
    if playbook is None or playbook.is_deleted:
        return False
    if _role(user, playbook) is not None or playbook.visibility is Visibility.PUBLIC:
        return True
    return _holds_link(user, playbook)


def _can_read_history(user, playbook) -> bool:
    """The history (every version, comparisons, restores) is the team's: members in
    any role read it. People reading through the secret link or the public gallery see
    the current version only, never text removed before the playbook was shared."""
    if playbook is None or playbook.is_deleted:
        return False
    return _role(user, playbook) is not None


def _can_edit_playbook(user, playbook) -> bool:
    """Owners and editors change a playbook that is not in the bin."""
    if playbook is None or playbook.is_deleted:
        return False
    return _role(user, playbook) in (MemberRole.OWNER, MemberRole.EDITOR)


def _can_delete_playbook(user, playbook) -> bool:
    """Only an owner moves a playbook to the bin."""
    return (
        playbook is not None
        and not playbook.is_deleted
        and _role(user, playbook) is MemberRole.OWNER
    )


def _can_restore_playbook(user, playbook) -> bool:
    """Only an owner takes a playbook back out of the bin."""
    return (
        playbook is not None and playbook.is_deleted and _role(user, playbook) is MemberRole.OWNER
    )


def _can_share_playbook(user, playbook) -> bool:
    """Owners invite, change roles, remove members, set visibility and manage the link."""
    return (
        playbook is not None
        and not playbook.is_deleted
        and _role(user, playbook) is MemberRole.OWNER
    )


def _can_leave_playbook(user, playbook) -> bool:
    """Any member may leave (the service refuses to let the last owner go)."""
    return playbook is not None and not playbook.is_deleted and _role(user, playbook) is not None


def _can_fork_playbook(user, playbook) -> bool:
    """A signed-in person copies any playbook they may read into their own."""
    return _signed_in(user) and _can_view_playbook(user, playbook)


def _is_moderator(user) -> bool:
    return _signed_in(user) and bool(user.is_moderator)


def _can_view_target(user, target) -> bool:
    """What a comment hangs on is readable: a playbook as above, a library entry
    (or a component's framework) when it is not retired."""
    if target is None:
        return False
    if hasattr(target, "role_of"):
        return _can_view_playbook(user, target)
    return _can_view_library_entry(user, getattr(target, "framework", target))


def _can_post_comment(user, target) -> bool:
    """Signed-in members comment on any library entry they can read. On a playbook:
    owners, editors and commenters always; anyone signed in when it is public."""
    if not _signed_in(user) or not _can_view_target(user, target):
        return False
    if hasattr(target, "role_of"):
        return target.visibility is Visibility.PUBLIC or _role(user, target) in (
            MemberRole.OWNER,
            MemberRole.EDITOR,
            MemberRole.COMMENTER,
        )
    return True


def _can_view_comment(user, comment) -> bool:
    """A published comment is read by whoever reads what it hangs on; a pending,
    hidden or rejected one only by its author and by moderators."""
    if comment is None or not _can_view_target(user, comment.target):
        return False
    if comment.is_published:
        return True
    return _signed_in(user) and (comment.author_id == user.id or _is_moderator(user))


def _can_edit_comment(user, comment) -> bool:
    """Authors edit their own comment (not a deleted or rejected one) while they may
    still read where it is."""
    from playbook.models import CommentStatus

    return (
        _signed_in(user)
        and comment is not None
        and comment.author_id == user.id
        and not comment.is_deleted
        and comment.status is not CommentStatus.REJECTED
        and _can_view_target(user, comment.target)
    )


def _can_delete_comment(user, comment) -> bool:
    """Authors delete their own comment."""
    return (
        _signed_in(user)
        and comment is not None
        and comment.author_id == user.id
        and not comment.is_deleted
        and _can_view_target(user, comment.target)
    )


def _can_flag_comment(user, comment) -> bool:
    """Any signed-in member flags a published comment someone else wrote."""
    return (
        _signed_in(user)
        and comment is not None
        and comment.author_id != user.id
        and comment.is_published
        and not comment.is_deleted
        and _can_view_target(user, comment.target)
    )


def _can_create_suggestion(user, obj) -> bool:
    """Any signed-in member suggests a resource."""
    return _signed_in(user)


def _can_revise_suggestion(user, submission) -> bool:
    """The suggester revises a rejected suggestion and sends it again."""
    from playbook.models import SubmissionStatus

    return (
        _signed_in(user)
        and submission is not None
        and submission.author_id == user.id
        and submission.status is SubmissionStatus.REJECTED
    )


def _can_moderate(user, obj) -> bool:
    """Moderators and admins work the queue."""
    return _is_moderator(user)


_RULES: dict[Action, Callable[[Any, Any], bool]] = {
    Action.LIBRARY_VIEW: _can_view_library_entry,
    Action.LIBRARY_EDIT: _can_edit_library,
    Action.ACCOUNT_EDIT: _can_edit_account,
    Action.ADMIN_ACCESS: _can_access_admin,
    Action.USER_MANAGE: _can_manage_user,
    Action.PLAYBOOK_CREATE: _can_create_playbook,
    Action.PLAYBOOK_VIEW: _can_view_playbook,
    Action.PLAYBOOK_EDIT: _can_edit_playbook,
    Action.PLAYBOOK_HISTORY: _can_read_history,
    Action.PLAYBOOK_DELETE: _can_delete_playbook,
    Action.PLAYBOOK_RESTORE: _can_restore_playbook,
    Action.PLAYBOOK_FORK: _can_fork_playbook,
    Action.PLAYBOOK_SHARE: _can_share_playbook,
    Action.PLAYBOOK_LEAVE: _can_leave_playbook,
    Action.COMMENT_POST: _can_post_comment,
    Action.COMMENT_VIEW: _can_view_comment,
    Action.COMMENT_EDIT: _can_edit_comment,
    Action.COMMENT_DELETE: _can_delete_comment,
    Action.COMMENT_FLAG: _can_flag_comment,
    Action.SUGGESTION_CREATE: _can_create_suggestion,
    Action.SUGGESTION_REVISE: _can_revise_suggestion,
    Action.MODERATE: _can_moderate,
}

# Actions decided on an object the view loads: @access checks them when the view calls
# checked_or_404/load_or_404 (and fails loudly if the view never does).
_OBJECT_ACTIONS = {
    Action.PLAYBOOK_VIEW,
    Action.PLAYBOOK_EDIT,
    Action.PLAYBOOK_HISTORY,
    Action.PLAYBOOK_DELETE,
    Action.PLAYBOOK_RESTORE,
    Action.PLAYBOOK_FORK,
    Action.PLAYBOOK_SHARE,
    Action.PLAYBOOK_LEAVE,
    Action.COMMENT_POST,
    Action.COMMENT_VIEW,
    Action.COMMENT_EDIT,
    Action.COMMENT_DELETE,
    Action.COMMENT_FLAG,
    Action.SUGGESTION_REVISE,
}
# Object actions no visitor can ever have: visitors are sent to sign in first.
# The history is left to require(): a visitor who cannot see the playbook gets 404,
# as on its other read-only pages, one who can is sent to sign in.
_SIGNED_IN_ACTIONS = _OBJECT_ACTIONS - {
    Action.PLAYBOOK_VIEW,
    Action.COMMENT_VIEW,
    Action.PLAYBOOK_HISTORY,
}

# Actions that decide whether an object may be seen at all: failing them answers 404,
# so the object's existence is not revealed.
_VIEW_ACTIONS = {Action.LIBRARY_VIEW, Action.PLAYBOOK_VIEW, Action.COMMENT_VIEW}


def can(user, action: Action | str, obj: Any = None) -> bool:
    """True when `user` (a User or the anonymous user) may perform `action` on `obj`."""
    return _RULES[Action(action)](user, obj)


def require(user, action: Action | str, obj: Any = None) -> None:
    """Abort unless can(user, action, obj): 404 when the user may not even view the
    object, a sign-in redirect for visitors, 403 otherwise."""
    action = Action(action)
    g.setdefault("checked_actions", set()).add(action)
    if can(user, action, obj):
        return
    if obj is not None and (action in _VIEW_ACTIONS or not _can_see(user, obj)):
        abort(404)
    if not _signed_in(user):
        abort(login_manager.unauthorized())
    abort(403)


def _can_see(user, obj) -> bool:
    """Whether the user may know that obj exists: failing a check on something they
    cannot even see answers 404, never 403."""
    if hasattr(obj, "role_of"):
        return _can_view_playbook(user, obj)
    if hasattr(obj, "target_kind"):
        return _can_view_comment(user, obj)
    if hasattr(obj, "times_submitted"):
        return _signed_in(user) and (obj.author_id == user.id or _is_moderator(user))
    if hasattr(obj, "is_retired") or hasattr(obj, "framework"):
        return _can_view_target(user, obj)
    return True


def load_or_404(model: type, object_id: int, action: Action | str) -> Any:
    """Load model row `object_id` and check `action` on it for the current user."""
    return checked_or_404(db.session.get(model, object_id), action)


def checked_or_404(obj: Any, action: Action | str) -> Any:
    """An object loaded by a feature's own query, checked like load_or_404."""
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
    """The view needs `action`. Actions on an object are checked when the view loads
    it with checked_or_404/load_or_404; a view that forgets to is an error."""
    if action not in _OBJECT_ACTIONS:
        return lambda view: _declare(view, action.value, lambda: require(current_user, action))

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if action in _SIGNED_IN_ACTIONS and not _signed_in(current_user):
                abort(login_manager.unauthorized())
            g.checked_actions = set()
            response = view(*args, **kwargs)
            if action not in g.checked_actions:
                raise RuntimeError(
                    f"{view.__name__} declares {action.value} but never checked it on an object"
                )
            return response

        wrapper.access_rule = action.value
        return wrapper

    return decorate


def access_login(view: Callable) -> Callable:
    """The view is for any signed-in person; visitors are sent to sign in."""

    def check() -> None:
        if not _signed_in(current_user):
            abort(login_manager.unauthorized())

    return _declare(view, "login", check)


def access_public(view: Callable) -> Callable:
    """The view is open to everyone, visitors included."""
    return _declare(view, "public", lambda: None)
