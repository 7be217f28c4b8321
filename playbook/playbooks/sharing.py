"""Sharing a playbook: members and roles, invitations, visibility and the secret link.
Services commit; routes never do."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from playbook import jobs, mail
from playbook.extensions import db
from playbook.models import (
    Invitation,
    MemberRole,
    Membership,
    NotificationKind,
    Playbook,
    User,
    Visibility,
    utcnow,
)
from playbook.notifications import services as notifications
from playbook.permissions import Action, can, require
from playbook.playbooks import services
from playbook.tokens import hash_token, new_token

INVITATION_DAYS = 14
LINK_SESSION_KEY = "playbook_links"
MAX_LINKS_IN_SESSION = 30


class SharingError(ValueError):
    """A sharing change that would break a rule (the last owner, a duplicate member...)."""


def _owners(playbook: Playbook) -> list[Membership]:
    return [m for m in playbook.memberships if m.role is MemberRole.OWNER]


def _record(actor: User, playbook: Playbook, summary: str) -> None:
    """Sharing changes are part of the playbook's history (no base version: they
    overwrite no one's text)."""
    services.save_change(actor, playbook, summary)


# --- members -----------------------------------------------------------------------


def change_role(actor: User, playbook: Playbook, membership: Membership, role: str) -> None:
    """Give a member another role; a playbook always keeps at least one owner."""
    require(actor, Action.PLAYBOOK_SHARE, playbook)
    role = MemberRole(role)
    if membership.role is role:
        return
    if membership.role is MemberRole.OWNER and len(_owners(playbook)) == 1:
        raise SharingError("A playbook needs at least one owner. Make someone else an owner first.")
    membership.role = role
    notifications.notify(
        membership.user,
        NotificationKind.ROLE_CHANGED,
        f"You are now {role.label.lower()} of “{playbook.title}”.",
        link=url_for("playbooks.detail", playbook_id=playbook.id),
        playbook_id=playbook.id,
    )
    _record(actor, playbook, f"Made {membership.user.display_name} {role.label.lower()}")


def remove_member(actor: User, playbook: Playbook, membership: Membership) -> None:
    """Take someone off the playbook (the last owner cannot be removed)."""
    require(actor, Action.PLAYBOOK_SHARE, playbook)
    _remove(actor, playbook, membership, f"Removed {membership.user.display_name}")


def leave_playbook(actor: User, playbook: Playbook) -> None:
    """The actor stops being a member (not while they are the only owner)."""
    require(actor, Action.PLAYBOOK_LEAVE, playbook)
    membership = next(m for m in playbook.memberships if m.user_id == actor.id)
    _remove(actor, playbook, membership, f"{actor.display_name} left")


def _remove(actor: User, playbook: Playbook, membership: Membership, summary: str) -> None:
    if membership.role is MemberRole.OWNER and len(_owners(playbook)) == 1:
        raise SharingError(
            "A playbook needs at least one owner. Hand it over to someone else first."
        )
    playbook.memberships.remove(membership)
    for section in playbook.sections:
        for item in section.items:
            if item.owner_id == membership.user_id:
                item.owner = None  # the relationship, so the revision snapshot sees it too
    notifications.forget_playbook_notifications(membership.user_id, playbook.id)
    _record(actor, playbook, summary)


def hand_over(actor: User, playbook: Playbook, membership: Membership) -> None:
    """Make another member the owner; the actor stays on as an editor."""
    require(actor, Action.PLAYBOOK_SHARE, playbook)
    if not can(actor, Action.PLAYBOOK_HAND_OVER, membership):
        raise SharingError("You already own this playbook.")
    membership.role = MemberRole.OWNER
    mine = next(m for m in playbook.memberships if m.user_id == actor.id)
    mine.role = MemberRole.EDITOR
    notifications.notify(
        membership.user,
        NotificationKind.ROLE_CHANGED,
        f"{actor.display_name} handed “{playbook.title}” over to you: you are now its owner.",
        link=url_for("playbooks.detail", playbook_id=playbook.id),
        playbook_id=playbook.id,
    )
    _record(actor, playbook, f"Handed ownership to {membership.user.display_name}")


# --- invitations -------------------------------------------------------------------


def invite(actor: User, playbook: Playbook, email: str, role: str) -> Invitation:
    """Invite an address to a role. A person with an account sees it in the app and by
    e-mail; anyone else gets a link to register and join. A new invitation for the
    same address replaces the pending one."""
    require(actor, Action.PLAYBOOK_SHARE, playbook)
    email = email.strip().lower()
    if any(m.user.email == email for m in playbook.memberships):
        raise SharingError("That person is already a member.")
    now = utcnow()
    for pending in pending_invitations(playbook):
        if pending.email == email:
            pending.revoked_at = now
    token = new_token()
    invitation = Invitation(
        playbook_id=playbook.id,
        email=email,
        role=MemberRole(role),
        token_hash=hash_token(token),
        invited_by_id=actor.id,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    # The same work whatever the address: an in-app notification if an account uses
    # it (one statement either way) and a job that decides what to e-mail.
    notifications.notify_address(
        email,
        NotificationKind.INVITED,
        _invitation_message(actor.display_name, playbook, invitation),
        link=url_for("playbooks.invitations"),
        playbook_id=playbook.id,
    )
    jobs.enqueue("announce_invitation", token)
    _record(actor, playbook, f"Invited {email} as {invitation.role.label.lower()}")
    return invitation


def _invitation_message(inviter: str, playbook: Playbook, invitation: Invitation) -> str:
    return f"{inviter} invited you to “{playbook.title}” as {invitation.role.label.lower()}."


def announce_invitation(token: str) -> None:
    """The job of a new invitation: e-mail the person with an account (unless they
    turned these e-mails off), or send anyone else the link to register and join.
    Nothing when the invitation is no longer open or was announced already."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None or not invitation.is_pending:
        return
    key = f"invitation:{invitation.id}"
    if mail.is_queued(key):
        return
    playbook = db.session.get(Playbook, invitation.playbook_id)
    if playbook is None:
        return
    inviter = invitation.invited_by.display_name if invitation.invited_by else "Someone"
    message = _invitation_message(inviter, playbook, invitation)
    invitee = db.session.scalar(select(User).where(User.email == invitation.email))
    if invitee is not None:
        notifications.email_notification(
            invitee, NotificationKind.INVITED, message, url_for("playbooks.invitations"), key=key
        )
    else:
        mail.queue_mail(
            invitation.email,
            f"Invitation to “{playbook.title}”",
            "invitation",
            key=key,
            message=message,
            link=url_for("playbooks.invitation", token=token, _external=True),
            days=INVITATION_DAYS,
        )
    db.session.commit()


def revoke_invitation(actor: User, playbook: Playbook, invitation: Invitation) -> None:
    require(actor, Action.PLAYBOOK_SHARE, playbook)
    if invitation.playbook_id != playbook.id or not invitation.is_pending:
        raise SharingError("That invitation is no longer open.")
    invitation.revoked_at = utcnow()
    invitee = db.session.scalar(select(User).where(User.email == invitation.email))
    if invitee is not None and playbook.role_of(invitee) is None:
        notifications.forget_playbook_notifications(invitee.id, playbook.id)
    _record(actor, playbook, f"Revoked the invitation of {invitation.email}")


def find_invitation(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))


def pending_invitations(playbook: Playbook) -> list[Invitation]:
    now = utcnow()
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.playbook_id == playbook.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at)
        )
    )


def invitations_for(user: User) -> list[Invitation]:
    """Open invitations addressed to the person's e-mail, to playbooks still live."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(Invitation)
            .join(Playbook)
            .where(
                Invitation.email == user.email,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
                Playbook.deleted_at.is_(None),
            )
            .options(selectinload(Invitation.playbook), selectinload(Invitation.invited_by))
            .order_by(Invitation.created_at)
        )
    )


def accept_invitation(actor: User, invitation: Invitation) -> Playbook:
    """Join with the invited role. Only the account with the invited address may
    accept, once, before it expires or is revoked."""
    if not can(actor, Action.INVITATION_ANSWER, invitation):
        raise SharingError(
            f"This invitation is for {invitation.email}. Sign in with that address to accept it."
        )
    if not invitation.is_pending or invitation.playbook.is_deleted:
        raise SharingError("This invitation has expired, was revoked or was already used.")
    playbook = services.load_playbook_for_change(invitation.playbook_id)
    if playbook is None:
        raise SharingError("This invitation has expired, was revoked or was already used.")
    invitation.accepted_at, invitation.accepted_by_id = utcnow(), actor.id
    if playbook.role_of(actor) is None:
        playbook.memberships.append(Membership(user_id=actor.id, role=invitation.role))
    services.save_change(
        actor, playbook, f"{actor.display_name} joined as {invitation.role.label.lower()}"
    )
    return playbook


def decline_invitation(actor: User, invitation: Invitation) -> None:
    if not can(actor, Action.INVITATION_ANSWER, invitation) or not invitation.is_pending:
        raise SharingError("This invitation is no longer open.")
    invitation.revoked_at = utcnow()
    notifications.forget_playbook_notifications(actor.id, invitation.playbook_id)
    db.session.commit()


# --- visibility and the secret link --------------------------------------------------


def set_visibility(actor: User, playbook: Playbook, visibility: str) -> str | None:
    """Make the playbook private, link-shared or public. Returns a new secret link's
    token when link sharing starts without one (shown to the owner once)."""
    require(actor, Action.PLAYBOOK_SHARE, playbook)
    visibility = Visibility(visibility)
    if playbook.visibility is visibility:
        return None
    token = None
    playbook.visibility = visibility
    if visibility is Visibility.LINK:
        token = _new_link(playbook)
    else:
        # Leaving link sharing turns the link off for good: sharing by link again
        # makes a new one, so an old link never comes back to life.
        playbook.link_token_hash = playbook.link_created_at = playbook.link_last_used_at = None
    _record(actor, playbook, f"Changed visibility to: {visibility.label}")
    return token


def _new_link(playbook: Playbook) -> str:
    token = new_token()
    playbook.link_token_hash, playbook.link_created_at, playbook.link_last_used_at = (
        hash_token(token),
        utcnow(),
        None,
    )
    return token


def regenerate_link(actor: User, playbook: Playbook) -> str:
    """Replace the secret link: the old one stops working at once."""
    require(actor, Action.PLAYBOOK_SHARE, playbook)
    token = _new_link(playbook)
    _record(actor, playbook, "Made a new secret link (the old one no longer works)")
    return token


def revoke_link(actor: User, playbook: Playbook) -> None:
    """Turn the secret link off; link-shared playbooks become private."""
    require(actor, Action.PLAYBOOK_SHARE, playbook)
    playbook.link_token_hash = playbook.link_created_at = playbook.link_last_used_at = None
    if playbook.visibility is Visibility.LINK:
        playbook.visibility = Visibility.PRIVATE
    _record(actor, playbook, "Turned the secret link off")


def use_link(playbook_id: int, token: str) -> Playbook | None:
    """The playbook this secret link opens (and note when it was last used), or None."""
    playbook = db.session.get(Playbook, playbook_id)
    if (
        playbook is None
        or playbook.is_deleted
        or playbook.visibility is not Visibility.LINK
        or not token
        or len(token) > 100
        or playbook.link_token_hash != hash_token(token)
    ):
        return None
    now = utcnow()
    # A timestamp, not content: written at most once a minute, without a revision.
    if playbook.link_last_used_at is None or now - playbook.link_last_used_at > timedelta(
        minutes=1
    ):
        db.session.execute(
            db.update(Playbook)
            .where(Playbook.id == playbook.id)
            .values(link_last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return playbook


def granted_links(session) -> frozenset[str]:
    return frozenset(session.get(LINK_SESSION_KEY, ()))


def grant_link(session, playbook: Playbook) -> None:
    """Remember in this browser's session that it holds the playbook's current link."""
    links = [h for h in session.get(LINK_SESSION_KEY, []) if h != playbook.link_token_hash]
    session[LINK_SESSION_KEY] = (links + [playbook.link_token_hash])[-MAX_LINKS_IN_SESSION:]
