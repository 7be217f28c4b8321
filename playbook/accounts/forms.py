"""Forms for the profile and the password change."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from playbook.auth.passwords import MAX_LENGTH, verify_password
from playbook.forms import LineField, StrongPassword, strip


class ProfileForm(FlaskForm):
    display_name = LineField(
        "Your name", filters=[strip], validators=[DataRequired(), Length(max=80)]
    )
    organization = LineField(
        "School, district or organization", filters=[strip], validators=[Length(max=120)]
    )
    role_title = LineField(
        "Your role",
        filters=[strip],
        validators=[Length(max=120)],
        description="For example: 5th grade teacher, instructional coach, district innovation lead.",
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), StrongPassword()],
        description="At least 8 characters. A long passphrase is best.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", "The two passwords do not match.")],
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.user_email, self.user_name = user.email, user.display_name

    def validate_current_password(self, field):
        if not verify_password(self.user.password_hash, field.data or ""):
            raise ValidationError("That is not your current password.")
