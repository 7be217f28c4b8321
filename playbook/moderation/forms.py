"""Forms for the moderation queue."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from playbook.forms import LineField, options, strip
from playbook.models import TargetKind

DECISIONS = [
    ("approve", "Approve"),
    ("reject", "Reject with the reason below"),
    ("spam", "Mark as spam"),
]


class DecisionForm(FlaskForm):
    """Selected rows arrive as repeated `subject` values ('comment:12'); the routes
    read them from the request, since the choices change with every page."""

    decision = SelectField("Decision", choices=options(DECISIONS), validators=[DataRequired()])
    reason = TextAreaField(
        "Reason (shown to the author)", filters=[strip], validators=[Length(max=1000)]
    )


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    tab = SelectField(
        "Tab",
        choices=options(
            [
                ("pending", "Pending comments"),
                ("flagged", "Flagged comments"),
                ("suggestions", "Resource suggestions"),
                ("decided", "Decided"),
            ]
        ),
        validators=[Optional()],
    )
    kind = SelectField(
        "Comments on",
        choices=options([("", "Anything")] + TargetKind.choices()),
        validators=[Optional()],
    )
    age = SelectField(
        "Waiting",
        choices=options(
            [
                ("", "Any age"),
                ("1d", "More than a day"),
                ("3d", "More than 3 days"),
                ("7d", "More than a week"),
                ("30d", "More than 30 days"),
            ]
        ),
        validators=[Optional()],
    )
    author = StringField("Author", filters=[strip], validators=[Length(max=100)])


class ReasonTemplateForm(FlaskForm):
    title = LineField("Title", filters=[strip], validators=[DataRequired(), Length(max=80)])
    body = TextAreaField(
        "Reason text", filters=[strip], validators=[DataRequired(), Length(max=1000)]
    )
