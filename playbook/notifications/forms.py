"""Forms for notification settings."""

from flask_wtf import FlaskForm

from playbook.forms import MultiCheckboxField, options
from playbook.models import NotificationKind


class EmailChoicesForm(FlaskForm):
    kinds = MultiCheckboxField(
        "Send me an e-mail when", choices=options(NotificationKind.choices())
    )
