"""Routes for /admin: the people list and site roles."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from playbook.admin import services
from playbook.admin.forms import SiteRoleForm, UserSearchForm
from playbook.models import User
from playbook.pagination import page_arg
from playbook.permissions import Action, access, load_or_404

bp = Blueprint("admin", "playbook.admin", url_prefix="/admin")


@bp.route("/users/")
@access(Action.ADMIN_ACCESS)
def user_index():
    form = UserSearchForm(request.args)
    query = form.q.data if form.validate() else ""
    users = services.list_users(query or "", page=page_arg())
    return render_template(
        "admin/user_index.html", title="People", form=form, users=users, role_form=SiteRoleForm()
    )


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@access(Action.ADMIN_ACCESS)
def user_role(user_id: int):
    user = load_or_404(User, user_id, Action.USER_MANAGE)
    form = SiteRoleForm()
    if form.validate_on_submit():
        services.set_site_role(current_user, user, form.site_role.data)
        flash(f"{user.display_name} is now {user.site_role.label.lower()}.", "success")
    else:
        flash("Choose one of the listed roles.", "error")
    return redirect(url_for("admin.user_index"))
