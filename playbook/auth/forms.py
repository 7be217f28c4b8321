"""Forms for registering, signing in and resetting a password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from playbook.auth.passwords import MAX_LENGTH
from playbook.forms import LineField, StrongPassword, strip


class RegisterForm(FlaskForm):
    EMAIL_TAKEN = (
        "An account with this e-mail address already exists. Sign in, or reset your password."
    )

    email = EmailField(
        "E-mail address",
        filters=[strip],
        validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)],
    )
    display_name = LineField(
        "Your name",
        filters=[strip],
        validators=[DataRequired(), Length(max=80)],
        description="Shown next to your comments and playbooks.",
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), StrongPassword("email", "display_name")],
        description="At least 8 characters. A long passphrase is best.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", "The two passwords do not match.")],
    )

    def __init__(self, *args, email_taken=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._email_taken = email_taken

    def validate_email(self, field):
        if self._email_taken and self._email_taken(field.data):
            raise ValidationError(self.EMAIL_TAKEN)


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail address", filters=[strip], validators=[DataRequired(), Length(max=254)]
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "E-mail address",
        filters=[strip],
        validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)],
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), StrongPassword()],
        description="At least 8 characters. A long passphrase is best.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", "The two passwords do not match.")],
    )
