"""Forms for building a playbook. Every editing form carries the version it was based on."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from playbook.forms import LineField, options, strip
from playbook.models import ItemStatus, MemberRole, Scope, Visibility


class VersionedForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])

    def base_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class PlaybookForm(VersionedForm):
    title = LineField(
        "Title",
        filters=[strip],
        validators=[DataRequired(), Length(max=200)],
        description="For example: Jefferson Middle School personalized learning playbook.",
    )
    scope = SelectField("Scope", choices=options(Scope.choices()), validators=[DataRequired()])
    organization = LineField(
        "School, district or network", filters=[strip], validators=[Length(max=200)]
    )
    framework_id = SelectField(
        "Framework you adopt",
        validators=[Optional()],
        description="The coverage map shows which of its components your plays serve.",
    )
    vision = TextAreaField(
        "Vision statement",
        validators=[Length(max=20000)],
        description="Markdown. What will learning look like for your students when this works?",
    )

    def __init__(self, framework_choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.framework_id.choices = options([("", "No framework yet")] + list(framework_choices))


class NewPlaybookForm(PlaybookForm):
    """Creating needs no version: there is nothing to conflict with yet."""

    version = HiddenField()


class SectionForm(VersionedForm):
    title = LineField(
        "Section title", filters=[strip], validators=[DataRequired(), Length(max=120)]
    )


class MoveForm(VersionedForm):
    """Move a section or an item: to a position (0 = first) and, for items, a section."""

    position = IntegerField(
        "Position", validators=[InputRequired(), NumberRange(min=-1_000_000, max=1_000_000)]
    )
    section_id = IntegerField("Section", validators=[Optional()])


class MoveToForm(VersionedForm):
    """The page that moves an item to another section without JavaScript (it posts to
    the same endpoint as MoveForm, with the same field names)."""

    section_id = SelectField("Section")
    position = SelectField(
        "Where in it", choices=options([(1_000_000, "At the end"), (0, "At the top")])
    )

    def __init__(self, sections: list, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.section_id.choices = options(sections)


class NoteForm(FlaskForm):
    title = LineField("Note title", filters=[strip], validators=[DataRequired(), Length(max=200)])
    notes = TextAreaField("Details", validators=[Length(max=20000)], description="Markdown.")


class AddItemForm(FlaskForm):
    """Add a library entry to a section of one of the user's playbooks."""

    kind = HiddenField(validators=[DataRequired()])
    ref_id = HiddenField(validators=[DataRequired()])
    section_id = SelectField(
        "Add to", validators=[DataRequired()], description="Choose a playbook and section."
    )

    def __init__(self, section_choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.section_id.choices = section_choices


class ItemForm(VersionedForm):
    title = LineField(
        "Title",
        filters=[strip],
        validators=[Length(max=200)],
        description="Leave empty to use the library title.",
    )
    notes = TextAreaField(
        "Our twist",
        validators=[Length(max=20000)],
        description="Markdown. How your team adapts this, what you will try, what you learned.",
    )
    status = SelectField(
        "Status", choices=options(ItemStatus.choices()), validators=[DataRequired()]
    )
    owner_id = SelectField("Owner", validators=[Optional()])
    target_date = DateField(
        "Target date", validators=[Optional()], description="For example 2027-03-15."
    )
    element_id = SelectField("Framework element it serves", validators=[Optional()])

    def __init__(self, owner_choices, element_choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = options([("", "Nobody yet")] + list(owner_choices))
        self.element_id.choices = options([("", "None")] + list(element_choices))


class ImportForm(FlaskForm):
    file = FileField(
        "Playbook export (.json)",
        validators=[FileRequired("Choose a file to import.")],
        description="A file made with “Export as JSON”. Up to 2 MB.",
    )


class RestoreForm(VersionedForm):
    pass


class InviteForm(FlaskForm):
    email = StringField(
        "E-mail address",
        filters=[strip],
        validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)],
    )
    role = SelectField(
        "Role",
        choices=options([(r.value, r.label) for r in MemberRole if r is not MemberRole.OWNER]),
        validators=[DataRequired()],
        description="Editors change the playbook; commenters and viewers read it.",
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=options(MemberRole.choices()), validators=[DataRequired()])


class VisibilityForm(FlaskForm):
    visibility = SelectField(
        "Who can read it", choices=options(Visibility.choices()), validators=[DataRequired()]
    )
    confirmed = HiddenField()
