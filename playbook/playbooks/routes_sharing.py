"""Routes for sharing a playbook: members, invitations, visibility, the secret link."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, session, url_for
from flask_login import current_user

from playbook.extensions import db
from playbook.forms import ConfirmForm
from playbook.models import Invitation, Visibility
from playbook.permissions import Action, access, access_login, access_public, load_or_404
from playbook.playbooks import route_helpers, sharing
from playbook.playbooks.forms import InviteForm, RoleForm, VisibilityForm
from playbook.playbooks.routes import bp


def _share_page(playbook, invite_form=None, visibility_form=None, new_link=None, status=200):
    return render_template(
        "playbooks/share.html",
        title=f"Share {playbook.title}",
        playbook=playbook,
        invitations=sharing.pending_invitations(playbook),
        invite_form=invite_form or InviteForm(),
        visibility_form=visibility_form or VisibilityForm(visibility=playbook.visibility.value),
        role_form=RoleForm(),
        confirm_form=ConfirmForm(),
        new_link=new_link,
    ), status


def _membership(playbook, membership_id: int):
    return next((m for m in playbook.memberships if m.id == membership_id), None) or abort(404)


def _back(playbook):
    return redirect(url_for("playbooks.share", playbook_id=playbook.id))


@bp.route("/<int:playbook_id>/share")
@access(Action.PLAYBOOK_SHARE)
def share(playbook_id: int):
    playbook = route_helpers.load(playbook_id, Action.PLAYBOOK_SHARE)
    return _share_page(playbook, new_link=session.pop("new_playbook_link", None))


@bp.route("/<int:playbook_id>/invitations", methods=["POST"])
@access(Action.PLAYBOOK_SHARE)
def invite(playbook_id: int):
    playbook = route_helpers.load(playbook_id, Action.PLAYBOOK_SHARE)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            sharing.invite(current_user, playbook, form.email.data, form.role.data)
        except sharing.SharingError as error:
            form.email.errors.append(str(error))
        else:
            flash(f"Invitation sent to {form.email.data}.", "success")
            return _back(playbook)
    return _share_page(playbook, invite_form=form, status=422)


@bp.route("/<int:playbook_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@access(Action.PLAYBOOK_SHARE)
def invitation_revoke(playbook_id: int, invitation_id: int):
    playbook = route_helpers.load(playbook_id, Action.PLAYBOOK_SHARE)
    invitation = db.session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.playbook_id != playbook.id
        or not ConfirmForm().validate_on_submit()
    ):
        abort(404)
    try:
        sharing.revoke_invitation(current_user, playbook, invitation)
    except sharing.SharingError as error:
        flash(str(error), "error")
    else:
        flash(f"The invitation of {invitation.email} is revoked; its link no longer works.", "info")
    return _back(playbook)


@bp.route(
    "/<int:playbook_id>/members/<int:membership_id>/<any(role, remove, handover):verb>",
    methods=["POST"],
)
@access(Action.PLAYBOOK_SHARE)
def member(playbook_id: int, membership_id: int, verb: str):
    playbook = route_helpers.load(playbook_id, Action.PLAYBOOK_SHARE)
    membership = _membership(playbook, membership_id)
    form = RoleForm() if verb == "role" else ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if verb == "role":
            sharing.change_role(current_user, playbook, membership, form.role.data)
        elif verb == "remove":
            sharing.remove_member(current_user, playbook, membership)
        else:
            sharing.hand_over(current_user, playbook, membership)
    except sharing.SharingError as error:
        flash(str(error), "error")
    else:
        flash("Saved.", "success")
    if verb == "handover":
        return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
    return _back(playbook)


@bp.route("/<int:playbook_id>/leave", methods=["POST"])
@access(Action.PLAYBOOK_LEAVE)
def leave(playbook_id: int):
    playbook = route_helpers.load(playbook_id, Action.PLAYBOOK_LEAVE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        sharing.leave_playbook(current_user, playbook)
    except sharing.SharingError as error:
        flash(str(error), "error")
        return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
    flash(f"You left “{playbook.title}”.", "info")
    return redirect(url_for("playbooks.index"))


@bp.route("/<int:playbook_id>/visibility", methods=["POST"])
@access(Action.PLAYBOOK_SHARE)
def visibility(playbook_id: int):
    playbook = route_helpers.load(playbook_id, Action.PLAYBOOK_SHARE)
    form = VisibilityForm()
    if not form.validate_on_submit():
        return _share_page(playbook, visibility_form=form, status=422)
    if form.confirmed.data != "yes":
        return render_template(
            "playbooks/visibility_confirm.html",
            title="Change who can read it?",
            playbook=playbook,
            form=form,
            target=Visibility(form.visibility.data),
        )
    token = sharing.set_visibility(current_user, playbook, form.visibility.data)
    if token:
        session["new_playbook_link"] = url_for(
            "playbooks.shared_link", playbook_id=playbook.id, token=token, _external=True
        )
    flash(f"Visibility: {playbook.visibility.label}.", "success")
    return _back(playbook)


@bp.route("/<int:playbook_id>/link/<any(regenerate, revoke):verb>", methods=["POST"])
@access(Action.PLAYBOOK_SHARE)
def link(playbook_id: int, verb: str):
    playbook = route_helpers.load(playbook_id, Action.PLAYBOOK_SHARE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if verb == "revoke":
        sharing.revoke_link(current_user, playbook)
        flash("The secret link is off; the playbook is private.", "info")
    else:
        token = sharing.regenerate_link(current_user, playbook)
        session["new_playbook_link"] = url_for(
            "playbooks.shared_link", playbook_id=playbook.id, token=token, _external=True
        )
        flash("A new secret link is ready; the old one no longer works.", "success")
    return _back(playbook)


@bp.route("/<int:playbook_id>/s/<token>")
@access_public
def shared_link(playbook_id: int, token: str):
    playbook = sharing.use_link(playbook_id, token) or abort(404)
    sharing.grant_link(session, playbook)
    response = redirect(url_for("playbooks.detail", playbook_id=playbook.id))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/invitations")
@access_login
def invitations():
    return render_template(
        "playbooks/invitations.html",
        title="Invitations",
        invitations=sharing.invitations_for(current_user),
        form=ConfirmForm(),
    )


@bp.route("/invite/<token>")
@access_public
def invitation(token: str):
    found = sharing.find_invitation(token)
    response = (
        render_template(
            "playbooks/invitation.html",
            title="Invitation",
            invitation=found,
            open=bool(found and found.is_pending and not found.playbook.is_deleted),
            form=ConfirmForm(),
        ),
        200 if found else 404,
    )
    return response


@bp.route("/invitations/<int:invitation_id>/<any(accept, decline):verb>", methods=["POST"])
@access(Action.INVITATION_ANSWER)
def invitation_answer(invitation_id: int, verb: str):
    found = load_or_404(Invitation, invitation_id, Action.INVITATION_ANSWER)
    if not ConfirmForm().validate_on_submit():
        abort(404)
    try:
        if verb == "decline":
            sharing.decline_invitation(current_user, found)
            flash("Invitation declined.", "info")
            return redirect(url_for("playbooks.invitations"))
        playbook = sharing.accept_invitation(current_user, found)
    except sharing.SharingError as error:
        flash(str(error), "error")
        return redirect(url_for("playbooks.invitations"))
    flash(f"Welcome to “{playbook.title}”.", "success")
    return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
