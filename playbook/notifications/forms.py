"""Forms for notification settings."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField
from wtforms.validators import InputRequired, NumberRange, Optional

from playbook.forms import MultiCheckboxField, options
from playbook.models import DigestMode, NotificationKind
from playbook.models.user import REMINDER_DAYS_MAX, REMINDER_DAYS_MIN


class EmailChoicesForm(FlaskForm):
    kinds = MultiCheckboxField(
        "Send me an e-mail when", choices=options(NotificationKind.choices())
    )
    reminder_days = IntegerField(
        "Remind me of an item I own this many days before its target date",
        validators=[
            Optional(),  # left out: unchanged
            NumberRange(
                REMINDER_DAYS_MIN,
                REMINDER_DAYS_MAX,
                f"Give a number of days from {REMINDER_DAYS_MIN} to {REMINDER_DAYS_MAX}.",
            ),
        ],
        description=f"From {REMINDER_DAYS_MIN} to {REMINDER_DAYS_MAX} days. You are reminded "
        "again the day after the target date if the item is still open.",
    )


class DigestForm(FlaskForm):
    mode = RadioField(
        "Once a week, send me a digest of",
        choices=options(DigestMode.choices()),
        validators=[InputRequired(message="Choose what your weekly digest tells you.")],
    )
