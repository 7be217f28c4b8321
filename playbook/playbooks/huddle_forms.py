"""Forms of the team huddle: recording one (who came, decisions, next steps, the
status changes made there) and planning the next."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from playbook.forms import LineField, MultiCheckboxField, options, strip
from playbook.models import ItemStatus
from playbook.playbooks.forms import VersionedForm

# Rows offered for status changes in one huddle; any further change is made on the
# playbook page like every other edit.
STATUS_ROWS = 6


class TimeZoneName:
    """An IANA time zone name such as America/Chicago."""

    def __call__(self, form, field):
        try:
            ZoneInfo(field.data)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValidationError(
                "Give a time zone by its name, for example America/Chicago or Europe/Paris."
            ) from None


class _When(FlaskForm):
    held_on = DateField(
        "Date",
        validators=[InputRequired("Give the day of the huddle.")],
        description="For example 2027-01-12.",
    )
    starts_at = TimeField(
        "Start time", validators=[Optional()], description="Leave empty for the whole day."
    )
    time_zone = LineField(
        "Time zone",
        filters=[strip],
        validators=[DataRequired(), Length(max=64), TimeZoneName()],
        description="Its IANA name, for example America/Chicago.",
    )
    minutes = IntegerField(
        "Length in minutes", default=60, validators=[Optional(), NumberRange(min=5, max=600)]
    )

    def when(self) -> dict[str, Any]:
        """The day, start, zone and length, as the huddle services take them."""
        return {
            "held_on": self.held_on.data,
            "starts_at": self.starts_at.data,
            "time_zone": self.time_zone.data,
            "minutes": self.minutes.data,
        }


class PlanHuddleForm(_When):
    """The next huddle: a day and a time, shown in the playbook's calendar. It shares
    the huddle page with the record form, so its fields get ids of their own (the
    names stay): each "Date" label then belongs to its own form's field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("held_on", "starts_at", "time_zone", "minutes"):
            self[name].id = self[name].label.field_id = f"plan-{name}"


class StatusChangeForm(Form):
    """One item whose status changed in the huddle (no CSRF of its own: it is part of
    the huddle form)."""

    item_id = SelectField("Item", validators=[Optional()])
    status = SelectField("New status", validators=[Optional()])


class HuddleForm(VersionedForm, _When):
    attendees = MultiCheckboxField("Who came", coerce=int, validate_choice=True)
    guests = LineField(
        "Guests",
        filters=[strip],
        validators=[Length(max=300)],
        description="Anyone else who came, for example “Ms. Diaz (district coach)”.",
    )
    decisions = TextAreaField(
        "Decisions", validators=[Length(max=20000)], description="Markdown. What the team decided."
    )
    next_steps = TextAreaField(
        "Next steps",
        validators=[Length(max=20000)],
        description="Markdown. Who does what by when.",
    )
    changes = FieldList(FormField(StatusChangeForm), min_entries=STATUS_ROWS, max_entries=50)

    def __init__(self, member_choices, item_choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.attendees.choices = list(member_choices)
        for row in self.changes:
            row.item_id.choices = options([("", "Choose an item")] + list(item_choices))
            row.status.choices = options([("", "No change")] + ItemStatus.choices())

    def record(self) -> dict[str, Any]:
        """Everything typed and ticked, as huddles.record_huddle takes it."""
        return {
            **self.when(),
            "attendee_ids": self.attendees.data or [],
            "guests": self.guests.data or "",
            "decisions": self.decisions.data or "",
            "next_steps": self.next_steps.data or "",
            "status_changes": self.status_changes(),
        }

    def status_changes(self) -> list[tuple[int, str]]:
        """(item id, new status) for every row with both chosen."""
        return [
            (int(row.item_id.data), row.status.data)
            for row in self.changes
            if row.item_id.data and row.status.data
        ]

    def validate_changes(self, field):
        for row in field:
            if bool(row.item_id.data) != bool(row.status.data):
                raise ValidationError("Choose both the item and its new status, or neither.")
        chosen = [item_id for item_id, _ in self.status_changes()]
        if len(chosen) != len(set(chosen)):
            raise ValidationError("Each item can change status once per huddle.")
