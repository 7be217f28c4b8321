"""The permission matrix, run against can() directly: persona × action × object state."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from playbook.extensions import db
from playbook.models import (
    AnonymousUser,
    Comment,
    CommentStatus,
    Decision,
    Invitation,
    MemberRole,
    Membership,
    ModerationAction,
    ResourceType,
    SubjectKind,
    Submission,
    SubmissionStatus,
    SurveyRound,
    TargetKind,
    Visibility,
    utcnow,
)
from playbook.permissions import Action, can
from tests import factories

PERSONAS = ["visitor", "member", "moderator", "admin", "owner"]


@pytest.fixture
def people(app):
    return {
        "visitor": AnonymousUser(),
        "member": factories.make_user("member"),
        "moderator": factories.make_user("moderator"),
        "admin": factories.make_user("admin"),
        "owner": factories.make_user("member"),
    }


# (action, object state) -> personas allowed
MATRIX = {
    (Action.LIBRARY_VIEW, "none"): {"visitor", "member", "moderator", "admin"},
    (Action.LIBRARY_VIEW, "live"): {"visitor", "member", "moderator", "admin"},
    (Action.LIBRARY_VIEW, "retired"): {"admin"},
    (Action.LIBRARY_EDIT, "none"): {"admin"},
    (Action.LIBRARY_EDIT, "live"): {"admin"},
    (Action.LIBRARY_EDIT, "retired"): {"admin"},
    (Action.INSTRUMENT_VIEW, "none"): {"member", "moderator", "admin"},
    (Action.INSTRUMENT_VIEW, "instrument"): {"member", "moderator", "admin"},
    (Action.INSTRUMENT_VIEW, "retired_instrument"): {"admin"},
    (Action.INSTRUMENT_EDIT, "none"): {"admin"},
    (Action.INSTRUMENT_EDIT, "instrument"): {"admin"},
    (Action.INSTRUMENT_EDIT, "retired_instrument"): {"admin"},
    (Action.ADMIN_ACCESS, "none"): {"admin"},
    (Action.ACCOUNT_EDIT, "self"): {"member", "moderator", "admin"},
    (Action.ACCOUNT_EDIT, "someone_else"): set(),
    (Action.USER_MANAGE, "someone_else"): {"admin"},
    (Action.USER_MANAGE, "self"): set(),
    (Action.PLAYBOOK_CREATE, "none"): {"member", "moderator", "admin", "owner"},
    (Action.PLAYBOOK_VIEW, "playbook"): {"owner"},
    (Action.PLAYBOOK_VIEW, "binned_playbook"): set(),
    (Action.PLAYBOOK_EDIT, "playbook"): {"owner"},
    (Action.PLAYBOOK_EDIT, "binned_playbook"): set(),
    (Action.PLAYBOOK_DELETE, "playbook"): {"owner"},
    (Action.PLAYBOOK_DELETE, "binned_playbook"): set(),
    (Action.PLAYBOOK_RESTORE, "playbook"): set(),
    (Action.PLAYBOOK_RESTORE, "binned_playbook"): {"owner"},
    (Action.PLAYBOOK_FORK, "playbook"): {"owner"},
    (Action.PLAYBOOK_FORK, "binned_playbook"): set(),
    (Action.PLAYBOOK_SHARE, "playbook"): {"owner"},
    (Action.PLAYBOOK_SHARE, "binned_playbook"): set(),
    (Action.PLAYBOOK_LEAVE, "playbook"): {"owner"},
    (Action.PLAYBOOK_LEAVE, "binned_playbook"): set(),
    (Action.PLAYBOOK_VIEW, "public_playbook"): {"visitor", "member", "moderator", "admin", "owner"},
    (Action.PLAYBOOK_EDIT, "public_playbook"): {"owner"},
    (Action.PLAYBOOK_FORK, "public_playbook"): {"member", "moderator", "admin", "owner"},
    (Action.PLAYBOOK_VIEW, "link_playbook"): {"owner"},
    # The history is the team's: readers of a public or shared-by-link playbook see the
    # current version only.
    (Action.PLAYBOOK_HISTORY, "playbook"): {"owner"},
    (Action.PLAYBOOK_HISTORY, "binned_playbook"): set(),
    (Action.PLAYBOOK_HISTORY, "public_playbook"): {"owner"},
    (Action.PLAYBOOK_HISTORY, "link_playbook"): {"owner"},
    # Who has it open: members only, whoever else may read it.
    (Action.PLAYBOOK_PRESENCE, "playbook"): {"owner"},
    (Action.PLAYBOOK_PRESENCE, "binned_playbook"): set(),
    (Action.PLAYBOOK_PRESENCE, "public_playbook"): {"owner"},
    (Action.PLAYBOOK_PRESENCE, "link_playbook"): {"owner"},
    # The huddle: members read it, owners and editors record it; readers by link or in
    # the gallery never see it. A playbook's calendar address: members only.
    (Action.HUDDLE_VIEW, "playbook"): {"owner"},
    (Action.HUDDLE_VIEW, "binned_playbook"): set(),
    (Action.HUDDLE_VIEW, "public_playbook"): {"owner"},
    (Action.HUDDLE_VIEW, "link_playbook"): {"owner"},
    (Action.HUDDLE_RECORD, "playbook"): {"owner"},
    (Action.HUDDLE_RECORD, "binned_playbook"): set(),
    (Action.HUDDLE_RECORD, "public_playbook"): {"owner"},
    (Action.SURVEY_RUN, "playbook"): {"owner"},
    (Action.SURVEY_RUN, "round"): {"owner"},
    (Action.SURVEY_RUN, "public_round"): {"owner"},
    (Action.SURVEY_RUN, "binned_round"): set(),
    (Action.SURVEY_RESULTS, "playbook"): {"owner"},
    (Action.SURVEY_RESULTS, "public_playbook"): {"owner"},
    (Action.SURVEY_RESULTS, "round"): {"owner"},
    (Action.SURVEY_RESULTS, "public_round"): {"visitor", "member", "moderator", "admin", "owner"},
    (Action.SURVEY_RESULTS, "unpublished_round"): {"owner"},
    (Action.SURVEY_RESULTS, "binned_round"): set(),
    (Action.SURVEY_OPEN_ANSWERS, "round"): {"owner"},
    (Action.SURVEY_OPEN_ANSWERS, "public_round"): {"owner"},
    (Action.SURVEY_RAW_EXPORT, "round"): {"owner"},
    (Action.SURVEY_RAW_EXPORT, "public_round"): {"owner"},
    (Action.SURVEY_RAW_EXPORT, "binned_round"): set(),
    (Action.CALENDAR_SUBSCRIBE, "none"): {"member", "moderator", "admin", "owner"},
    (Action.CALENDAR_SUBSCRIBE, "playbook"): {"owner"},
    (Action.CALENDAR_SUBSCRIBE, "binned_playbook"): set(),
    (Action.CALENDAR_SUBSCRIBE, "public_playbook"): {"owner"},
    # Comments: "owner" is the comment's (or suggestion's) author.
    (Action.COMMENT_POST, "live"): {"member", "moderator", "admin", "owner"},
    (Action.COMMENT_POST, "retired"): {"admin"},
    (Action.COMMENT_POST, "playbook"): {"owner"},
    (Action.COMMENT_POST, "public_playbook"): {"member", "moderator", "admin", "owner"},
    (Action.COMMENT_POST, "link_playbook"): {"owner"},
    (Action.COMMENT_POST, "binned_playbook"): set(),
    (Action.COMMENT_VIEW, "published_comment"): {
        "visitor",
        "member",
        "moderator",
        "admin",
        "owner",
    },
    (Action.COMMENT_VIEW, "pending_comment"): {"moderator", "admin", "owner"},
    (Action.COMMENT_VIEW, "rejected_comment"): {"moderator", "admin", "owner"},
    (Action.COMMENT_VIEW, "private_playbook_comment"): {"owner"},
    (Action.COMMENT_EDIT, "published_comment"): {"owner"},
    (Action.COMMENT_EDIT, "pending_comment"): {"owner"},
    (Action.COMMENT_EDIT, "rejected_comment"): set(),
    (Action.COMMENT_EDIT, "deleted_comment"): set(),
    (Action.COMMENT_DELETE, "published_comment"): {"owner"},
    (Action.COMMENT_DELETE, "deleted_comment"): set(),
    (Action.COMMENT_FLAG, "published_comment"): {"member", "moderator", "admin"},
    (Action.COMMENT_FLAG, "pending_comment"): set(),
    (Action.COMMENT_FLAG, "private_playbook_comment"): set(),
    (Action.SUGGESTION_CREATE, "none"): {"member", "moderator", "admin", "owner"},
    (Action.SUGGESTION_REVISE, "rejected_submission"): {"owner"},
    (Action.SUGGESTION_REVISE, "pending_submission"): set(),
    (Action.MODERATE, "none"): {"moderator", "admin"},
    # Handing over: an owner, on another member's row, never on their own.
    (Action.PLAYBOOK_HAND_OVER, "other_playbook_membership"): {"owner"},
    (Action.PLAYBOOK_HAND_OVER, "own_playbook_membership"): set(),
    (Action.PLAYBOOK_HAND_OVER, "binned_playbook_membership"): set(),
    # "Add to a playbook": the page for anyone signed in, the playbook for its editors.
    (Action.ITEM_ADD, "none"): {"member", "moderator", "admin", "owner"},
    (Action.ITEM_ADD, "playbook"): {"owner"},
    (Action.ITEM_ADD, "public_playbook"): {"owner"},
    (Action.ITEM_ADD, "binned_playbook"): set(),
    # An invitation addressed to the "owner" persona's e-mail address.
    (Action.INVITATION_ANSWER, "playbook_invitation"): {"owner"},
    (Action.SUGGESTION_FROM_COMMENT, "published_comment"): {"owner"},
    (Action.SUGGESTION_FROM_COMMENT, "private_playbook_comment"): {"owner"},
    (Action.SUGGESTION_FROM_COMMENT, "none"): set(),
    # Undo: the latest decision on its subject only, and never an undo.
    (Action.MODERATION_UNDO, "latest_decision"): {"moderator", "admin"},
    (Action.MODERATION_UNDO, "earlier_decision"): set(),
    (Action.MODERATION_UNDO, "undo_decision"): set(),
}


def _object(state, people, persona):
    if state == "none":
        return None
    if state.endswith("_membership"):
        return _membership(state, people)
    if state == "playbook_invitation":
        playbook = factories.make_playbook(factories.make_user())
        invitation = Invitation(
            playbook_id=playbook.id,
            email=people["owner"].email,
            role=MemberRole.EDITOR,
            token_hash="1" * 64,
            expires_at=utcnow() + timedelta(days=1),
        )
        db.session.add(invitation)
        db.session.flush()
        return invitation
    if state.endswith("_decision"):
        return _decision(state, people)
    if state in ("live", "retired"):
        return factories.make_play(retired=state == "retired")
    if state.endswith("instrument"):
        return factories.make_instrument(
            retired_at=utcnow() if state.startswith("retired") else None
        )
    if state.endswith("round"):
        return _round(state, people)
    if state.endswith("playbook"):
        playbook = factories.make_playbook(people["owner"])
        if state == "binned_playbook":
            playbook.deleted_at = utcnow()
        if state in ("public_playbook", "link_playbook"):
            # A link-shared playbook is readable only with the link in hand, which
            # nobody in this matrix holds (the HTTP matrix covers link holders).
            playbook.visibility = (
                Visibility.PUBLIC if state == "public_playbook" else Visibility.LINK
            )
            playbook.link_token_hash = "0" * 64
        return playbook
    if state.endswith("_comment"):
        return _comment(state, people)
    if state.endswith("_submission"):
        status = (
            SubmissionStatus.REJECTED if state.startswith("rejected") else SubmissionStatus.PENDING
        )
        submission = Submission(
            author_id=people["owner"].id,
            title="A toolkit",
            url="https://example.org/t",
            normalized_url="example.org/t",
            resource_type=ResourceType.TOOLKIT,
            status=status,
        )
        db.session.add(submission)
        db.session.flush()
        return submission
    if state == "self":
        return people[persona] if persona != "visitor" else None
    return factories.make_user()


def _round(state, people):
    """A survey round of the owner's playbook: public with its results shown
    (public_round), public with them kept to the team (unpublished_round), private
    (round), or of a binned playbook."""
    playbook = factories.make_playbook(people["owner"])
    if state in ("public_round", "unpublished_round"):
        playbook.visibility = Visibility.PUBLIC
    if state == "binned_round":
        playbook.deleted_at = utcnow()
    survey_round = SurveyRound(
        playbook_id=playbook.id,
        title="Autumn round",
        opens_on=date(2026, 10, 1),
        closes_on=date(2026, 10, 15),
        results_public=state == "public_round",
    )
    db.session.add(survey_round)
    db.session.flush()
    return survey_round


def _membership(state, people):
    playbook = factories.make_playbook(people["owner"])
    if state == "own_playbook_membership":
        return next(m for m in playbook.memberships if m.user_id == people["owner"].id)
    membership = Membership(user_id=factories.make_user().id, role=MemberRole.EDITOR)
    playbook.memberships.append(membership)
    if state == "binned_playbook_membership":
        playbook.deleted_at = utcnow()
    db.session.flush()
    return membership


def _decision(state, people):
    action = ModerationAction(
        moderator_id=people["moderator"].id,
        author_id=people["owner"].id,
        subject_kind=SubjectKind.COMMENT,
        subject_id=1,
        decision=Decision.UNDO if state == "undo_decision" else Decision.APPROVE,
        from_status="pending",
        to_status="published",
    )
    action.is_latest = state != "earlier_decision"
    return action


def _comment(state, people):
    if state == "private_playbook_comment":
        playbook = factories.make_playbook(people["owner"])
        comment = Comment(
            target_kind=TargetKind.PLAYBOOK, playbook_id=playbook.id, playbook=playbook
        )
    else:
        play = factories.make_play()
        comment = Comment(target_kind=TargetKind.PLAY, play_id=play.id, play=play)
    comment.author_id, comment.body, comment.body_html = people["owner"].id, "Hello", "<p>Hello</p>"
    comment.status = {
        "pending_comment": CommentStatus.PENDING,
        "rejected_comment": CommentStatus.REJECTED,
    }.get(state, CommentStatus.PUBLISHED)
    if state == "deleted_comment":
        comment.deleted_at = utcnow()
    db.session.add(comment)
    db.session.flush()
    return comment


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action,state", list(MATRIX))
def test_permission_matrix(people, persona, action, state):
    obj = _object(state, people, persona)
    if state == "self" and persona in ("visitor", "owner"):
        if persona == "owner":
            return

        assert can(people[persona], action, obj) is False
        return
    allowed = MATRIX[(action, state)]
    if (
        not any(word in state for word in ("playbook", "round", "comment", "submission"))
        and persona == "owner"
    ):
        persona_rule = "member"  # owning a playbook changes nothing outside it
    else:
        persona_rule = persona
    assert can(people[persona], action, obj) is (persona_rule in allowed)


def test_every_action_is_in_the_matrix():
    assert {action for action, _ in MATRIX} == set(Action)
