"""Forms for survey rounds: the round itself (title, dates, instruments, groups), its
changes, and more groups for a round already open."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from playbook.forms import LineField, MultiCheckboxField, options, strip
from playbook.models import SurveyAudience

GROUP_ROWS = 6  # empty rows on the new-round form; empty ones are ignored
MORE_GROUP_ROWS = 3  # on the round page's "add groups" form
MAX_CODES = 500


class GroupRow(Form):
    """One group: a label (no names), who answers, and how many codes (or, for
    teachers, one shared link). A row left without a label is ignored."""

    label = LineField(
        "Group label",
        filters=[strip],
        validators=[Optional(), Length(max=120)],
        description="For example “Grade 7, room 214”. No names of people.",
    )
    audience = SelectField(
        "Who answers",
        choices=options((a.value, a.label) for a in SurveyAudience),
        default=SurveyAudience.STUDENTS_6_12.value,
    )
    codes = IntegerField("Number of codes", validators=[Optional()])
    shared_link = BooleanField("Teachers: one shared link instead of codes")

    @property
    def is_empty(self) -> bool:
        return not (self.label.data or "").strip()

    def check(self) -> bool:
        """Validate a filled row beyond its fields (run by the parent form)."""
        if self.is_empty:
            if self.codes.data:
                self.label.errors = [*self.label.errors, "Give this group a label."]
                return False
            return True
        audience = SurveyAudience(self.audience.data)
        if self.shared_link.data:
            if audience is not SurveyAudience.TEACHERS:
                self.shared_link.errors = [
                    *self.shared_link.errors,
                    "Only a teachers' group can answer through a shared link.",
                ]
                return False
            return True
        if self.codes.data is None or not 1 <= self.codes.data <= MAX_CODES:
            self.codes.errors = [
                *self.codes.errors,
                f"Give a number of codes from 1 to {MAX_CODES}"
                + (", or choose one shared link." if audience is SurveyAudience.TEACHERS else "."),
            ]
            return False
        return True

    def values(self) -> dict[str, Any]:
        shared = bool(self.shared_link.data)
        return {
            "label": self.label.data,
            "audience": SurveyAudience(self.audience.data),
            "codes": 0 if shared else int(self.codes.data or 0),
            "shared_link": shared,
        }


def _check_groups(groups: FieldList, existing_labels: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    ok = True
    seen = {label.casefold() for label in existing_labels}
    for entry in groups:
        row: GroupRow = entry.form
        if not row.check():
            ok = False
            continue
        if row.is_empty:
            continue
        key = row.label.data.casefold()
        if key in seen:
            row.label.errors = [*row.label.errors, "Each group of a round needs its own label."]
            ok = False
        seen.add(key)
    return ok


GROUP_ERRORS = "Please correct the marked fields below; nothing was saved."
NO_SURVEY_CHOSEN = "None of the chosen surveys is for this audience."
NO_SURVEY_IN_ROUND = "This round has no survey for this audience."


def _check_audiences(groups: FieldList, audiences: set[SurveyAudience], message: str) -> bool:
    ok = True
    for entry in groups:
        row: GroupRow = entry.form
        if not row.is_empty and SurveyAudience(row.audience.data) not in audiences:
            row.audience.errors = [*row.audience.errors, message]
            ok = False
    return ok


def filled_groups(groups: FieldList) -> list[dict[str, Any]]:
    return [entry.form.values() for entry in groups if not entry.form.is_empty]


class _Dates(FlaskForm):
    title = LineField(
        "Title",
        filters=[strip],
        validators=[InputRequired("Give the round a title."), Length(max=200)],
        description="For example “Autumn 2026”.",
    )
    opens_on = DateField(
        "Opens on",
        validators=[InputRequired("Give the first day answers are taken.")],
        description="For example 2026-12-14.",
    )
    closes_on = DateField(
        "Closes on",
        validators=[InputRequired("Give the last day answers are taken.")],
        description="The last day answers are taken.",
    )

    def validate_closes_on(self, field):
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError("The closing date cannot be before the opening date.")


class RoundForm(_Dates):
    instruments = MultiCheckboxField(
        "Surveys to use",
        coerce=int,
        description="At most one per audience; each group answers the one for its audience.",
    )
    groups = FieldList(FormField(GroupRow), min_entries=GROUP_ROWS, max_entries=40)

    def __init__(self, instrument_choices: list[tuple[int, str, SurveyAudience]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience_of = {value: audience for value, _, audience in instrument_choices}
        self.instruments.choices = options((value, label) for value, label, _ in instrument_choices)

    def validate_instruments(self, field):
        chosen = field.data or []
        if not chosen:
            raise ValidationError("Choose at least one survey.")
        audiences = [self.audience_of[i] for i in chosen if i in self.audience_of]
        if len(set(audiences)) != len(audiences):
            raise ValidationError("Choose at most one survey per audience.")

    def validate(self, extra_validators=None) -> bool:
        fields_ok = super().validate(extra_validators)
        groups_ok = _check_groups(self.groups)
        covered = {
            self.audience_of[i] for i in self.instruments.data or [] if i in self.audience_of
        }
        if covered:
            groups_ok = _check_audiences(self.groups, covered, NO_SURVEY_CHOSEN) and groups_ok
        if groups_ok and not filled_groups(self.groups):
            self.form_errors.append("Add at least one group: give it a label.")
            return False
        if not groups_ok:
            self.form_errors.append(GROUP_ERRORS)
        return fields_ok and groups_ok


class EditRoundForm(_Dates):
    """Title and dates; the instruments stay as the round was opened."""


class MoreGroupsForm(FlaskForm):
    groups = FieldList(FormField(GroupRow), min_entries=MORE_GROUP_ROWS, max_entries=40)

    def __init__(self, existing_labels: set[str], audiences: set[SurveyAudience], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_labels = existing_labels
        self.audiences = audiences

    def validate(self, extra_validators=None) -> bool:
        fields_ok = super().validate(extra_validators)
        groups_ok = _check_groups(self.groups, self.existing_labels)
        groups_ok = _check_audiences(self.groups, self.audiences, NO_SURVEY_IN_ROUND) and groups_ok
        if groups_ok and not filled_groups(self.groups):
            self.form_errors.append("Give at least one new group a label.")
            return False
        if not groups_ok:
            self.form_errors.append(GROUP_ERRORS)
        return fields_ok and groups_ok
