"""Routes for /accounts: profile and password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, decode_cookie, login_user
from flask_login.config import COOKIE_NAME

from playbook.accounts import services
from playbook.accounts.forms import ChangePasswordForm, ProfileForm
from playbook.auth import services as auth_services
from playbook.permissions import Action, access

bp = Blueprint("accounts", "playbook.accounts", url_prefix="/accounts")


@bp.route("/profile", methods=["GET", "POST"])
@access(Action.ACCOUNT_EDIT)
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(
            current_user, form.display_name.data, form.organization.data, form.role_title.data
        )
        flash("Your profile is saved.", "success")
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html", title="Your profile", form=form
    ), 422 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@access(Action.ACCOUNT_EDIT)
def password():
    form = ChangePasswordForm(current_user)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        remember = _remembered_here(user)
        auth_services.change_password(
            user, form.new_password.data, request.headers.get("User-Agent", "")
        )
        login_user(user, remember=remember)
        flash("Your password is changed. Other devices have been signed out.", "success")
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/password.html", title="Change your password", form=form
    ), 422 if form.errors else 200


def _remembered_here(user) -> bool:
    """Whether this browser holds a remember-me cookie for its current sign-in, so the
    new session after a password change keeps "Keep me signed in" as the member chose."""
    cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))
    return bool(cookie) and decode_cookie(cookie) == user.get_id()
