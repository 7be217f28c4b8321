"""Forms for notification settings."""

from flask_wtf import FlaskForm

from playbook.forms import options
from playbook.library.forms import MultiCheckboxField
from playbook.models import NotificationKind


class EmailChoicesForm(FlaskForm):
    kinds = MultiCheckboxField(
        "Send me an e-mail when", choices=options(NotificationKind.choices())
    )
