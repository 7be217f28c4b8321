"""Who may do what, decided in one place.

Views declare their rule with @access / @access_login / @access_public; objects are
loaded and checked with load_or_404(); templates ask the same can() through a Jinja
global. Every rule below is a small predicate with its contract in the docstring;
where queries need a rule too, its SQL form sits beside it."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Protocol, TypeGuard, TypeVar, cast

from flask import abort, g
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import BindParameter, ColumnElement, and_, or_, select, true
from sqlalchemy.orm.util import AliasedClass

from playbook.extensions import db, login_manager
from playbook.models import (
    AnonymousUser,
    Base,
    Comment,
    CommentStatus,
    Component,
    Framework,
    Instrument,
    Invitation,
    MemberRole,
    Membership,
    ModerationAction,
    Play,
    Playbook,
    Resource,
    Submission,
    SubmissionStatus,
    SurveyRound,
    User,
    Visibility,
)

# Who is asking: a signed-in person or a visitor (both answer the same questions).
Actor = User | AnonymousUser
ModelT = TypeVar("ModelT", bound=Base)
ObjT = TypeVar("ObjT")

LIBRARY_ENTRY_TYPES = (Framework, Component, Play, Resource)
# The roles that change a playbook, and those that take part in its conversation.
EDITING_ROLES = (MemberRole.OWNER, MemberRole.EDITOR)
COMMENTING_ROLES = (*EDITING_ROLES, MemberRole.COMMENTER)


class Action(str, enum.Enum):
    LIBRARY_VIEW = "library.view"
    LIBRARY_EDIT = "library.edit"
    INSTRUMENT_VIEW = "instrument.view"
    INSTRUMENT_EDIT = "instrument.edit"
    ACCOUNT_EDIT = "account.edit"
    ADMIN_ACCESS = "admin.access"
    USER_MANAGE = "user.manage"
    PLAYBOOK_CREATE = "playbook.create"
    PLAYBOOK_VIEW = "playbook.view"
    PLAYBOOK_EDIT = "playbook.edit"
    PLAYBOOK_HISTORY = "playbook.history"
    PLAYBOOK_PRESENCE = "playbook.presence"
    HUDDLE_VIEW = "huddle.view"
    HUDDLE_RECORD = "huddle.record"
    CALENDAR_SUBSCRIBE = "calendar.subscribe"
    SURVEY_RUN = "survey.run"
    SURVEY_RESULTS = "survey.results"
    SURVEY_OPEN_ANSWERS = "survey.open_answers"
    SURVEY_RAW_EXPORT = "survey.raw_export"
    PLAYBOOK_DELETE = "playbook.delete"
    PLAYBOOK_RESTORE = "playbook.restore"
    PLAYBOOK_FORK = "playbook.fork"
    PLAYBOOK_SHARE = "playbook.share"
    PLAYBOOK_LEAVE = "playbook.leave"
    PLAYBOOK_HAND_OVER = "playbook.hand_over"
    ITEM_ADD = "item.add"
    INVITATION_ANSWER = "invitation.answer"
    COMMENT_POST = "comment.post"
    COMMENT_VIEW = "comment.view"
    COMMENT_EDIT = "comment.edit"
    COMMENT_DELETE = "comment.delete"
    COMMENT_FLAG = "comment.flag"
    SUGGESTION_CREATE = "suggestion.create"
    SUGGESTION_FROM_COMMENT = "suggestion.from_comment"
    SUGGESTION_REVISE = "suggestion.revise"
    MODERATE = "moderate"
    MODERATION_UNDO = "moderation.undo"


def _signed_in(user: object) -> TypeGuard[User]:
    return isinstance(user, User) and bool(user.is_authenticated)


def _is_admin(user: Actor) -> bool:
    return _signed_in(user) and user.is_admin


def _is_moderator(user: Actor) -> bool:
    return _signed_in(user) and user.is_moderator


def _is_author(user: Actor, author_id: int | None) -> bool:
    return _signed_in(user) and author_id is not None and author_id == user.id


# --- the library -------------------------------------------------------------------


def _can_view_library_entry(user: Actor, entry: object) -> bool:
    """Anyone, signed in or not, may read the library; retired entries (a component
    goes with its framework) only admins."""
    if entry is None:
        return True
    if not isinstance(entry, LIBRARY_ENTRY_TYPES):
        return False
    return not entry.is_retired or _is_admin(user)


def _can_edit_library(user: Actor, entry: object) -> bool:
    """Only admins add, edit and retire frameworks, plays and resources."""
    return _is_admin(user)


# --- survey instruments -------------------------------------------------------------


def _can_view_instrument(user: Actor, instrument: object) -> bool:
    """Anyone signed in may read the survey instruments (teams choose one for a round;
    the questions are no secret, a round's parent preview shows them publicly), but
    visitors are asked to sign in. An instrument of a retired framework: admins only."""
    if not _signed_in(user):
        return False
    if instrument is None:
        return True
    if not isinstance(instrument, Instrument):
        return False
    return not instrument.framework.is_retired or _is_admin(user)


def _can_edit_instrument(user: Actor, instrument: object) -> bool:
    """Only admins create, edit, import and export instruments (they curate the library)."""
    return _is_admin(user)


# --- accounts and the admin area -----------------------------------------------------


def _can_edit_account(user: Actor, account: object) -> bool:
    """A signed-in person edits their own profile and password, nobody else's."""
    if not _signed_in(user):
        return False
    return account is None or (isinstance(account, User) and account.id == user.id)


def _can_access_admin(user: Actor, obj: object) -> bool:
    """The admin area is for admins."""
    return _is_admin(user)


def _can_manage_user(user: Actor, target: object) -> bool:
    """Admins change other people's site roles; never their own (no self-lockout)."""
    return _is_admin(user) and (
        target is None or (isinstance(target, User) and target.id != user.id)
    )


# --- playbooks -----------------------------------------------------------------------


def _role(user: Actor, playbook: Playbook) -> MemberRole | None:
    """The user's role on the playbook (None for visitors and non-members)."""
    return playbook.role_of(user) if _signed_in(user) else None


def _live(playbook: object) -> Playbook | None:
    """The playbook, unless it is missing or in the bin."""
    return playbook if isinstance(playbook, Playbook) and not playbook.is_deleted else None


def _can_create_playbook(user: Actor, obj: object) -> bool:
    """Any signed-in person may start a playbook (or import or fork one into their own)."""
    return _signed_in(user)


def _holds_link(user: Actor, playbook: Playbook) -> bool:
    """The person opened the playbook's current secret link in this browser (the
    grants travel on the user object; a regenerated or revoked link matches none)."""
    return (
        playbook.visibility is Visibility.LINK
        and playbook.link_token_hash is not None
        and playbook.link_token_hash in user.link_grants
    )


def _can_view_playbook(user: Actor, playbook: object) -> bool:
    """Members in any role read a playbook; so does anyone when it is public, and
    anyone holding its secret link when it is shared by link. Nobody reads one in the bin."""
    live = _live(playbook)
    if live is None:
        return False
    if _role(user, live) is not None or live.visibility is Visibility.PUBLIC:
        return True
    return _holds_link(user, live)


def playbook_readable_clause(
    viewer_id: int | BindParameter[int] | None,
    model: type[Playbook] | AliasedClass[Playbook] = Playbook,
) -> ColumnElement[bool]:
    """_can_view_playbook in SQL, for listing and counting: live, and public or one the
    viewer (their id, or a bound parameter for it; None for visitors) is a member of.
    Secret links are left out: a query cannot know which links a browser holds."""
    readable = model.visibility == Visibility.PUBLIC
    if viewer_id is not None:
        memberships = select(Membership.playbook_id).where(Membership.user_id == viewer_id)
        readable = or_(readable, model.id.in_(memberships))
    return and_(model.deleted_at.is_(None), readable)


def _can_read_history(user: Actor, playbook: object) -> bool:
    """The history (every version, comparisons, restores) is the team's: members in
    any role read it. People reading through the secret link or the public gallery see
    the current version only, never text removed before the playbook was shared."""
    live = _live(playbook)
    return live is not None and _role(user, live) is not None


def _can_share_presence(user: Actor, playbook: object) -> bool:
    """Who else has the playbook open is the team's business: members in any role are
    counted as there while their page is open, and see which other members are. Nobody
    else is recorded (visitors, readers by link or in the gallery), and nobody else
    learns who is there."""
    live = _live(playbook)
    return live is not None and _role(user, live) is not None


def _can_view_huddle(user: Actor, playbook: object) -> bool:
    """The huddle page, its agenda and the team's past huddles are the team's: members
    in any role read them. Nobody reading by link or in the gallery sees them."""
    live = _live(playbook)
    return live is not None and _role(user, live) is not None


def _can_record_huddle(user: Actor, playbook: object) -> bool:
    """Owners and editors record a huddle (its status changes edit the playbook) and
    plan the next one."""
    return _can_edit_playbook(user, playbook)


def _can_subscribe_calendar(user: Actor, playbook: object) -> bool:
    """Without a playbook: any signed-in person has a calendar of their own items.
    With one: members in any role get its calendar address, and that address works
    only while its person is still a member of the live playbook (checked on every
    request of the feed, with the person the address belongs to as `user`)."""
    if playbook is None:
        return _signed_in(user)
    live = _live(playbook)
    return live is not None and _role(user, live) is not None


def _can_edit_playbook(user: Actor, playbook: object) -> bool:
    """Owners and editors change a playbook that is not in the bin."""
    live = _live(playbook)
    return live is not None and _role(user, live) in EDITING_ROLES


def _is_live_owner(user: Actor, playbook: object) -> bool:
    live = _live(playbook)
    return live is not None and _role(user, live) is MemberRole.OWNER


def _can_delete_playbook(user: Actor, playbook: object) -> bool:
    """Only an owner moves a playbook to the bin."""
    return _is_live_owner(user, playbook)


def _can_restore_playbook(user: Actor, playbook: object) -> bool:
    """Only an owner takes a playbook back out of the bin."""
    return (
        isinstance(playbook, Playbook)
        and playbook.is_deleted
        and _role(user, playbook) is MemberRole.OWNER
    )


def _can_share_playbook(user: Actor, playbook: object) -> bool:
    """Owners invite, change roles, remove members, set visibility and manage the link."""
    return _is_live_owner(user, playbook)


def _can_hand_over(user: Actor, membership: object) -> bool:
    """An owner hands the playbook over to another member; the share page offers it
    (and removal) on other members' rows only, never on the owner's own."""
    return (
        isinstance(membership, Membership)
        and _is_live_owner(user, membership.playbook)
        and membership.user_id != user.id
    )


def _can_leave_playbook(user: Actor, playbook: object) -> bool:
    """Any member may leave (the service refuses to let the last owner go)."""
    live = _live(playbook)
    return live is not None and _role(user, live) is not None


def _can_fork_playbook(user: Actor, playbook: object) -> bool:
    """A signed-in person copies any playbook they may read into their own."""
    return _signed_in(user) and _can_view_playbook(user, playbook)


def _can_add_item(user: Actor, playbook: object) -> bool:
    """'Add to a playbook' is open to anyone signed in (it offers only the playbooks
    they may edit); adding into one needs the right to edit that playbook."""
    if playbook is None:
        return _signed_in(user)
    return _can_edit_playbook(user, playbook)


def _can_answer_invitation(user: Actor, invitation: object) -> bool:
    """Only the account with the invited address accepts or declines an invitation;
    to anyone else it does not exist."""
    return (
        _signed_in(user) and isinstance(invitation, Invitation) and invitation.email == user.email
    )


# --- comments ------------------------------------------------------------------------


def _can_view_target(user: Actor, target: object) -> bool:
    """What a comment hangs on is readable: a playbook as above, a library entry
    when it is not retired."""
    if isinstance(target, Playbook):
        return _can_view_playbook(user, target)
    return target is not None and _can_view_library_entry(user, target)


def _can_post_comment(user: Actor, target: object) -> bool:
    """Signed-in members comment on any library entry they can read. On a playbook:
    owners, editors and commenters always; anyone signed in when it is public."""
    if not _signed_in(user) or not _can_view_target(user, target):
        return False
    if isinstance(target, Playbook):
        return target.visibility is Visibility.PUBLIC or _role(user, target) in COMMENTING_ROLES
    return True


class CommentAudience(enum.Enum):
    """Who reads a thread, as far as which comments they see goes."""

    VISITOR = "visitor"
    MEMBER = "member"
    MODERATOR = "moderator"


def comment_audience(user: Actor) -> CommentAudience:
    if _is_moderator(user):
        return CommentAudience.MODERATOR
    return CommentAudience.MEMBER if _signed_in(user) else CommentAudience.VISITOR


def comment_is_visible(user: Actor, comment: Comment) -> bool:
    """A published comment is for everyone; a pending, hidden or rejected one only
    for its author and for moderators. comment_visible_clause() is the same rule in SQL."""
    return comment.is_published or _is_author(user, comment.author_id) or _is_moderator(user)


def comment_visible_clause(
    audience: CommentAudience,
    viewer_id: int | BindParameter[int] | None,
    model: type[Comment] = Comment,
) -> ColumnElement[bool]:
    """comment_is_visible in SQL, for a viewer of `audience` (their id, or a bound
    parameter standing for it, for members), over `model` (Comment or an alias)."""
    if audience is CommentAudience.MODERATOR:
        return true()
    published = model.status == CommentStatus.PUBLISHED
    if audience is CommentAudience.MEMBER:
        return or_(published, model.author_id == viewer_id)
    return published


def _can_view_comment(user: Actor, comment: object) -> bool:
    """A comment is read by whoever reads what it hangs on, as comment_is_visible says."""
    return (
        isinstance(comment, Comment)
        and _can_view_target(user, comment.target)
        and comment_is_visible(user, comment)
    )


def _may_edit_own(user: Actor, comment: Comment) -> bool:
    """Authors edit their own comment, unless it is deleted or was rejected."""
    return (
        _is_author(user, comment.author_id)
        and not comment.is_deleted
        and comment.status is not CommentStatus.REJECTED
    )


def _may_delete_own(user: Actor, comment: Comment) -> bool:
    """Authors delete their own comment."""
    return _is_author(user, comment.author_id) and not comment.is_deleted


def _may_flag(user: Actor, comment: Comment) -> bool:
    """Any signed-in member flags a published comment someone else wrote."""
    return (
        _signed_in(user)
        and comment.author_id != user.id
        and comment.is_published
        and not comment.is_deleted
    )


def _can_edit_comment(user: Actor, comment: object) -> bool:
    """Authors edit their own comment (not a deleted or rejected one) while they may
    still read where it is."""
    return (
        isinstance(comment, Comment)
        and _may_edit_own(user, comment)
        and _can_view_target(user, comment.target)
    )


def _can_delete_comment(user: Actor, comment: object) -> bool:
    """Authors delete their own comment while they may still read where it is."""
    return (
        isinstance(comment, Comment)
        and _may_delete_own(user, comment)
        and _can_view_target(user, comment.target)
    )


def _can_flag_comment(user: Actor, comment: object) -> bool:
    """Any signed-in member flags a published comment someone else wrote, where they
    may read it."""
    return (
        isinstance(comment, Comment)
        and _may_flag(user, comment)
        and _can_view_target(user, comment.target)
    )


_PER_COMMENT: tuple[tuple[Action, Callable[[Actor, Comment], bool]], ...] = (
    (Action.COMMENT_EDIT, _may_edit_own),
    (Action.COMMENT_DELETE, _may_delete_own),
    (Action.COMMENT_FLAG, _may_flag),
)


def thread_rights(user: Actor, target: object, comments: Iterable[Comment]) -> ThreadRights:
    """What `user` may do in one thread on `target`: the same answers as can() for
    COMMENT_POST on the target and COMMENT_EDIT, COMMENT_DELETE and COMMENT_FLAG on
    each of `comments` (all on `target`), with the target checked once rather than
    for every comment (a page of a thread asks up to four questions per comment)."""
    if not _can_view_target(user, target):
        return ThreadRights(False, {})
    return ThreadRights(
        _can_post_comment(user, target),
        {c.id: frozenset(a for a, rule in _PER_COMMENT if rule(user, c)) for c in comments},
    )


def thread_reader_key(user: Actor, target: object) -> str:
    """Everything about the reader that a page of a thread on `target` depends on: who
    they are (their own comments, in every state, and what they may do with each),
    which comments their audience sees, and whether they may post. Two readers with the
    same key see the same page; a part of a page kept under it (playbook/fragments.py)
    is never shown to anyone else."""
    user_id = user.id if _signed_in(user) else None
    may_post = _can_post_comment(user, target)
    return f"{user_id}:{comment_audience(user).value}:{int(may_post)}"


@dataclass(frozen=True)
class ThreadRights:
    may_post: bool
    per_comment: dict[int, frozenset[Action]]

    def allows(self, action: Action, comment: Comment) -> bool:
        return action in self.per_comment.get(comment.id, frozenset())


# --- resource suggestions and moderation ----------------------------------------------


def _can_create_suggestion(user: Actor, obj: object) -> bool:
    """Any signed-in member suggests a resource."""
    return _signed_in(user)


def _can_suggest_from_comment(user: Actor, comment: object) -> bool:
    """A suggestion is tied to the comment it came from (whose thread hears the
    decision) only when the suggester wrote that comment."""
    return isinstance(comment, Comment) and _is_author(user, comment.author_id)


def _can_revise_suggestion(user: Actor, submission: object) -> bool:
    """The suggester revises a rejected suggestion and sends it again."""
    return (
        isinstance(submission, Submission)
        and _is_author(user, submission.author_id)
        and submission.status is SubmissionStatus.REJECTED
    )


def _can_see_submission(user: Actor, submission: Submission) -> bool:
    """A suggestion is known to its author and to moderators."""
    return _is_author(user, submission.author_id) or _is_moderator(user)


def _can_moderate(user: Actor, obj: object) -> bool:
    """Moderators and admins work the queue."""
    return _is_moderator(user)


def _can_undo_decision(user: Actor, decision: object) -> bool:
    """Moderators undo a decision while it is the latest word on its subject (see
    ModerationAction.is_latest); an undo is never undone itself."""
    return (
        _is_moderator(user)
        and isinstance(decision, ModerationAction)
        and not decision.is_undo
        and decision.is_latest
    )


# --- survey rounds --------------------------------------------------------------------


def _survey_playbook(obj: object) -> Playbook | None:
    """The live playbook a survey rule is asked about: the playbook itself, or the one
    a round belongs to."""
    if isinstance(obj, SurveyRound):
        return _live(obj.playbook)
    return _live(obj)


def _can_run_survey(user: Actor, obj: object) -> bool:
    """Owners and editors of a playbook run its survey rounds: open, change and delete
    them, print their codes and make their shared links."""
    live = _survey_playbook(obj)
    return live is not None and _role(user, live) in EDITING_ROLES


def _can_read_survey_results(user: Actor, obj: object) -> bool:
    """Members in any role read the results of their playbook's rounds (aggregates,
    with small groups suppressed). When the owner made a round's results public,
    everyone who may read the playbook (by link or in the gallery) reads the same
    aggregates; a playbook-wide question (obj is the playbook) is the members' only."""
    live = _survey_playbook(obj)
    if live is None:
        return False
    if _role(user, live) is not None:
        return True
    return isinstance(obj, SurveyRound) and obj.results_public and _can_view_playbook(user, live)


def _can_read_open_answers(user: Actor, obj: object) -> bool:
    """Open answers are shown to the playbook's owners and editors only (and only from
    enough respondents, which the results code decides)."""
    return _can_run_survey(user, obj)


def _can_export_raw_answers(user: Actor, obj: object) -> bool:
    """Raw anonymous answers leave the site only for the playbook's owners (and only
    for groups at or above the threshold, which the export decides)."""
    live = _survey_playbook(obj)
    return live is not None and _role(user, live) is MemberRole.OWNER


_RULES: dict[Action, Callable[[Actor, object], bool]] = {
    Action.LIBRARY_VIEW: _can_view_library_entry,
    Action.LIBRARY_EDIT: _can_edit_library,
    Action.INSTRUMENT_VIEW: _can_view_instrument,
    Action.INSTRUMENT_EDIT: _can_edit_instrument,
    Action.ACCOUNT_EDIT: _can_edit_account,
    Action.ADMIN_ACCESS: _can_access_admin,
    Action.USER_MANAGE: _can_manage_user,
    Action.PLAYBOOK_CREATE: _can_create_playbook,
    Action.PLAYBOOK_VIEW: _can_view_playbook,
    Action.PLAYBOOK_EDIT: _can_edit_playbook,
    Action.PLAYBOOK_HISTORY: _can_read_history,
    Action.PLAYBOOK_PRESENCE: _can_share_presence,
    Action.HUDDLE_VIEW: _can_view_huddle,
    Action.HUDDLE_RECORD: _can_record_huddle,
    Action.CALENDAR_SUBSCRIBE: _can_subscribe_calendar,
    Action.SURVEY_RUN: _can_run_survey,
    Action.SURVEY_RESULTS: _can_read_survey_results,
    Action.SURVEY_OPEN_ANSWERS: _can_read_open_answers,
    Action.SURVEY_RAW_EXPORT: _can_export_raw_answers,
    Action.PLAYBOOK_DELETE: _can_delete_playbook,
    Action.PLAYBOOK_RESTORE: _can_restore_playbook,
    Action.PLAYBOOK_FORK: _can_fork_playbook,
    Action.PLAYBOOK_SHARE: _can_share_playbook,
    Action.PLAYBOOK_LEAVE: _can_leave_playbook,
    Action.PLAYBOOK_HAND_OVER: _can_hand_over,
    Action.ITEM_ADD: _can_add_item,
    Action.INVITATION_ANSWER: _can_answer_invitation,
    Action.COMMENT_POST: _can_post_comment,
    Action.COMMENT_VIEW: _can_view_comment,
    Action.COMMENT_EDIT: _can_edit_comment,
    Action.COMMENT_DELETE: _can_delete_comment,
    Action.COMMENT_FLAG: _can_flag_comment,
    Action.SUGGESTION_CREATE: _can_create_suggestion,
    Action.SUGGESTION_FROM_COMMENT: _can_suggest_from_comment,
    Action.SUGGESTION_REVISE: _can_revise_suggestion,
    Action.MODERATE: _can_moderate,
    Action.MODERATION_UNDO: _can_undo_decision,
}

# Actions decided on an object the view loads: @access checks them when the view calls
# checked_or_404/load_or_404 (and fails loudly if the view never does).
_OBJECT_ACTIONS = {
    Action.PLAYBOOK_VIEW,
    Action.PLAYBOOK_EDIT,
    Action.PLAYBOOK_HISTORY,
    Action.PLAYBOOK_PRESENCE,
    Action.HUDDLE_VIEW,
    Action.HUDDLE_RECORD,
    Action.CALENDAR_SUBSCRIBE,
    Action.SURVEY_RUN,
    Action.SURVEY_RESULTS,
    Action.SURVEY_OPEN_ANSWERS,
    Action.SURVEY_RAW_EXPORT,
    Action.PLAYBOOK_DELETE,
    Action.PLAYBOOK_RESTORE,
    Action.PLAYBOOK_FORK,
    Action.PLAYBOOK_SHARE,
    Action.PLAYBOOK_LEAVE,
    Action.INVITATION_ANSWER,
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
    Action.HUDDLE_VIEW,
    Action.SURVEY_RESULTS,
}

# Actions that decide whether an object may be seen at all: failing them answers 404,
# so the object's existence is not revealed.
_VIEW_ACTIONS = {
    Action.LIBRARY_VIEW,
    Action.INSTRUMENT_VIEW,
    Action.PLAYBOOK_VIEW,
    Action.COMMENT_VIEW,
}


def can(user: Actor, action: Action | str, obj: object = None) -> bool:
    """True when `user` (a User or the anonymous user) may perform `action` on `obj`."""
    return _RULES[Action(action)](user, obj)


def require(user: Actor, action: Action | str, obj: object = None) -> None:
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


def _can_see(user: Actor, obj: object) -> bool:
    """Whether the user may know that obj exists: failing a check on something they
    cannot even see answers 404, never 403."""
    if isinstance(obj, Playbook):
        return _can_view_playbook(user, obj)
    if isinstance(obj, SurveyRound):
        return _can_view_playbook(user, obj.playbook)
    if isinstance(obj, Comment):
        return _can_view_comment(user, obj)
    if isinstance(obj, Submission):
        return _can_see_submission(user, obj)
    if isinstance(obj, Invitation):
        return _can_answer_invitation(user, obj)
    if isinstance(obj, LIBRARY_ENTRY_TYPES):
        return _can_view_library_entry(user, obj)
    if isinstance(obj, Instrument):
        return _can_view_instrument(user, obj)
    return True


def load_or_404(model: type[ModelT], object_id: int, action: Action | str) -> ModelT:
    """Load model row `object_id` and check `action` on it for the current user."""
    return checked_or_404(db.session.get(model, object_id), action)


def checked_or_404(obj: ObjT | None, action: Action | str) -> ObjT:
    """An object loaded by a feature's own query, checked like load_or_404."""
    if obj is None:
        abort(404)
    require(current_user, action, obj)
    return obj


class View(Protocol):
    """A view function with the access rule it declared (read by the route audit)."""

    access_rule: str

    def __call__(self, *args: Any, **kwargs: Any) -> ResponseReturnValue: ...


ViewFunction = Callable[..., ResponseReturnValue]


def _declare(view: ViewFunction, rule: str, check: Callable[[], None]) -> View:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        check()
        return view(*args, **kwargs)

    declared = cast(View, wrapper)
    declared.access_rule = rule
    return declared


def access(action: Action) -> Callable[[ViewFunction], View]:
    """The view needs `action`. Actions on an object are checked when the view loads
    it with checked_or_404/load_or_404; a view that forgets to is an error."""
    if action not in _OBJECT_ACTIONS:
        return lambda view: _declare(view, action.value, lambda: require(current_user, action))

    def decorate(view: ViewFunction) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if action in _SIGNED_IN_ACTIONS and not _signed_in(current_user):
                abort(login_manager.unauthorized())
            g.checked_actions = set()
            response = view(*args, **kwargs)
            if action not in g.checked_actions:
                raise RuntimeError(
                    f"{view.__name__} declares {action.value} but never checked it on an object"
                )
            return response

        declared = cast(View, wrapper)
        declared.access_rule = action.value
        return declared

    return decorate


def access_login(view: ViewFunction) -> View:
    """The view is for any signed-in person; visitors are sent to sign in."""

    def check() -> None:
        if not _signed_in(current_user):
            abort(login_manager.unauthorized())

    return _declare(view, "login", check)


def access_public(view: ViewFunction) -> View:
    """The view is open to everyone, visitors included."""
    return _declare(view, "public", lambda: None)
