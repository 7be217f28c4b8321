"""Routes for /accounts: profile and password."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from playbook.accounts import bp, services
from playbook.accounts.forms import ChangePasswordForm, ProfileForm
from playbook.auth import services as auth_services
from playbook.permissions import Action, access


@bp.route("/profile", methods=["GET", "POST"])
@access(Action.ACCOUNT_EDIT)
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(current_user, form.display_name.data, form.organization.data, form.role_title.data)
        flash("Your profile is saved.", "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", title="Your profile", form=form), 422 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@access(Action.ACCOUNT_EDIT)
def password():
    form = ChangePasswordForm(current_user)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        auth_services.change_password(user, form.new_password.data, request.headers.get("User-Agent", ""))
        login_user(user)
        flash("Your password is changed. Other devices have been signed out.", "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", title="Change your password", form=form), 422 if form.errors else 200
