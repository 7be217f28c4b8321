"""Forms for browsing (filters, search) and for editing the library."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional

from playbook.forms import (
    ANY,
    EachLine,
    FilterForm,
    LineField,
    MultiCheckboxField,
    WebURL,
    options,
    strip,
)
from playbook.models import Audience, Effort, GradeBand, IdealUser, ResourceType, Stage


class PlayFilterForm(FilterForm):
    stage = SelectField("Stage", choices=options(ANY + Stage.choices()), validators=[Optional()])
    component = SelectField("Framework component", choices=options(ANY), validators=[Optional()])
    audience = SelectField(
        "For", choices=options(ANY + Audience.choices()), validators=[Optional()]
    )
    grade_band = SelectField(
        "Grades", choices=options(ANY + GradeBand.choices()), validators=[Optional()]
    )
    effort = SelectField("Effort", choices=options(ANY + Effort.choices()), validators=[Optional()])

    def __init__(self, component_choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.component.choices = options(ANY + list(component_choices))


class ResourceFilterForm(FilterForm):
    resource_type = SelectField(
        "Type", choices=options(ANY + ResourceType.choices()), validators=[Optional()]
    )
    ideal_user = SelectField(
        "Ideal user", choices=options(ANY + IdealUser.choices()), validators=[Optional()]
    )


class SearchForm(FilterForm):
    q = StringField("Search the library", filters=[strip], validators=[Length(max=200)])
    kind = SelectField(
        "Show",
        choices=options(
            [
                ("", "Everything"),
                ("play", "Plays"),
                ("resource", "Resources"),
                ("framework", "Frameworks"),
                ("component", "Framework components"),
            ]
        ),
        validators=[Optional()],
    )


class PlayForm(FlaskForm):
    title = LineField("Title", filters=[strip], validators=[DataRequired(), Length(max=200)])
    summary = LineField(
        "Summary",
        filters=[strip],
        validators=[DataRequired(), Length(max=400)],
        description="One sentence shown in lists and search results.",
    )
    body = TextAreaField(
        "Body",
        validators=[DataRequired(), Length(max=20000)],
        description="Markdown. Say what it looks like, the steps, and what a team needs.",
    )
    stage = SelectField(
        "Playbook stage", choices=options(Stage.choices()), validators=[DataRequired()]
    )
    component_ids = MultiCheckboxField(
        "Framework components it serves", coerce=int, validators=[DataRequired()]
    )
    audiences = MultiCheckboxField(
        "Audience", choices=options(Audience.choices()), validators=[DataRequired()]
    )
    grade_band = SelectField(
        "Grade band", choices=options(GradeBand.choices()), validators=[DataRequired()]
    )
    effort = SelectField("Effort", choices=options(Effort.choices()), validators=[DataRequired()])

    def __init__(self, component_choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.component_ids.choices = options(component_choices)


class ResourceForm(FlaskForm):
    title = LineField("Title", filters=[strip], validators=[DataRequired(), Length(max=200)])
    organization = LineField(
        "Publishing organization", filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    url = URLField(
        "Link",
        filters=[strip],
        validators=[DataRequired(), Length(max=500), WebURL()],
        description="A web address starting with http:// or https://.",
    )
    description = TextAreaField(
        "Description", filters=[strip], validators=[DataRequired(), Length(max=2000)]
    )
    resource_type = SelectField(
        "Type", choices=options(ResourceType.choices()), validators=[DataRequired()]
    )
    ideal_users = MultiCheckboxField(
        "Ideal users", choices=options(IdealUser.choices()), validators=[DataRequired()]
    )
    why_use_it = TextAreaField("Why use it", filters=[strip], validators=[Length(max=2000)])
    who_is_using = TextAreaField("Who's using it", filters=[strip], validators=[Length(max=2000)])


class FrameworkForm(FlaskForm):
    name = LineField("Name", filters=[strip], validators=[DataRequired(), Length(max=200)])
    edition = LineField(
        "Edition",
        filters=[strip],
        validators=[Length(max=40)],
        description="Frameworks are living documents; say which version this is.",
    )
    publisher = LineField(
        "Publisher", filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    url = URLField("Link", filters=[strip], validators=[Optional(), Length(max=500), WebURL()])
    summary = TextAreaField(
        "Summary", filters=[strip], validators=[DataRequired(), Length(max=4000)]
    )


class ComponentForm(FlaskForm):
    name = LineField(
        "Component name", filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    summary = TextAreaField("Summary", filters=[strip], validators=[Length(max=2000)])
    elements = TextAreaField(
        "Elements",
        validators=[Length(max=10000), EachLine()],
        description="One element per line, as “Name: what learners do”.",
    )
