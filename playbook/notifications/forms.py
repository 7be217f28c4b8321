"""Forms for notification settings."""

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from playbook.forms import MultiCheckboxField, options
from playbook.models import DigestMode, NotificationKind


class EmailChoicesForm(FlaskForm):
    kinds = MultiCheckboxField(
        "Send me an e-mail when", choices=options(NotificationKind.choices())
    )


class DigestForm(FlaskForm):
    mode = RadioField(
        "Once a week, send me a digest of",
        choices=options(DigestMode.choices()),
        validators=[InputRequired(message="Choose what your weekly digest tells you.")],
    )
