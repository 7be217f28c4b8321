"""Routes for /auth: register, sign in, sign out, password reset."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from playbook import text
from playbook.auth import services
from playbook.auth.forms import LoginForm, RegisterForm, ResetPasswordForm, ResetRequestForm
from playbook.forms import ConfirmForm
from playbook.permissions import access_public
from playbook.urls import safe_next_path

bp = Blueprint("auth", "playbook.auth", url_prefix="/auth")


LOGIN_FAILED = "That e-mail address and password do not match an account."


def _client_address() -> str:
    return text.without_controls(request.remote_addr or "")[:100] or "unknown"


def _user_agent() -> str:
    return request.headers.get("User-Agent", "")


@bp.route("/register", methods=["GET", "POST"])
@access_public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = RegisterForm(
        email_taken=lambda email: services.find_user_by_email(email) is not None,
        data={"email": request.args.get("email", "")[:254]} if request.method == "GET" else None,
    )
    next_path = safe_next_path(request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = services.register_user(
                form.email.data, form.display_name.data, form.password.data, _user_agent()
            )
        except services.EmailTaken:
            form.email.errors.append(RegisterForm.EMAIL_TAKEN)
        else:
            login_user(user)
            flash(f"Welcome to Playbook, {user.display_name}.", "success")
            return redirect(next_path or url_for("home.index"))
    return render_template(
        "auth/register.html", title="Create an account", form=form
    ), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@access_public
def login():
    form = LoginForm()
    next_path = safe_next_path(
        form.next.data if request.method == "POST" else request.args.get("next")
    )
    if current_user.is_authenticated:
        return redirect(next_path or url_for("home.index"))
    form.next.data = next_path or ""
    status, locked_minutes = 200, None
    if form.validate_on_submit():
        try:
            user = services.sign_in(
                form.email.data, form.password.data, _client_address(), _user_agent()
            )
        except services.Throttled as error:
            form.form_errors.append(str(error))
            status = 429
            locked_minutes = error.minutes if error.account_locked else None
        except services.InvalidCredentials:
            form.form_errors.append(LOGIN_FAILED)
            status = 422
        else:
            login_user(user, remember=form.remember.data)
            flash(f"Signed in as {user.display_name}.", "success")
            return redirect(next_path or url_for("home.index"))
    elif form.errors:
        status = 422
    return render_template(
        "auth/login.html", title="Sign in", form=form, locked_minutes=locked_minutes
    ), status


@bp.route("/logout", methods=["POST"])
@access_public
def logout():
    form = ConfirmForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        services.sign_out(current_user)
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("home.index"))


@bp.route("/reset", methods=["GET", "POST"])
@access_public
def reset_request():
    form = ResetRequestForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            services.request_password_reset(form.email.data, _client_address())
        except services.Throttled as error:
            form.form_errors.append(str(error))
            status = 429
        else:
            flash(
                "If an account uses that address, we have sent it a link to choose a new password.",
                "info",
            )
            return redirect(url_for("auth.login"))
    return render_template(
        "auth/reset_request.html", title="Reset your password", form=form
    ), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@access_public
def reset_password(token: str):
    reset = services.find_reset_token(token)
    if reset is None:
        return render_template("auth/reset_invalid.html", title="Link no longer valid"), 404
    form = ResetPasswordForm()
    form.user_email, form.user_name = reset.user.email, reset.user.display_name
    if form.validate_on_submit():
        if services.reset_password(token, form.password.data) is None:
            return render_template("auth/reset_invalid.html", title="Link no longer valid"), 404
        logout_user()
        flash("Your password is changed. Please sign in with the new one.", "success")
        return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template(
        "auth/reset_password.html", title="Choose a new password", form=form
    ), status
