"""Forms for comments, flags and resource suggestions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, Optional

from playbook.comments.services import BODY_MAX
from playbook.forms import LineField, MultiCheckboxField, WebURL, options, strip
from playbook.models import FlagReason, IdealUser, ResourceType


def _id_or_none(value):
    return (
        int(value)
        if isinstance(value, str) and value.isdigit() and 0 < int(value) < 2**31
        else None
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment",
        validators=[DataRequired(message="Write something before posting."), Length(max=BODY_MAX)],
        description="Markdown works: **bold**, *italic*, [links](https://example.org), lists.",
    )
    parent_id = HiddenField(filters=[_id_or_none])
    suggest = BooleanField("Suggest a resource from this comment (you fill in its details next)")
    preview = SubmitField("Preview")
    submit = SubmitField("Post comment")


class EditCommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment",
        validators=[DataRequired(message="Write something before saving."), Length(max=BODY_MAX)],
    )
    preview = SubmitField("Preview")
    submit = SubmitField("Save")


class FlagForm(FlaskForm):
    reason = RadioField(
        "What is wrong with it?",
        choices=options(FlagReason.choices()),
        validators=[DataRequired(message="Choose what is wrong with it.")],
    )
    note = TextAreaField(
        "Anything the moderators should know (optional)",
        filters=[strip],
        validators=[Length(max=500)],
    )


class SuggestionForm(FlaskForm):
    title = LineField("Title", filters=[strip], validators=[DataRequired(), Length(max=200)])
    url = URLField(
        "Link",
        filters=[strip],
        validators=[DataRequired(), Length(max=500), WebURL()],
        description="A web address starting with http:// or https://.",
    )
    organization = LineField(
        "Publishing organization", filters=[strip], validators=[Length(max=200)]
    )
    resource_type = SelectField(
        "Type", choices=options(ResourceType.choices()), validators=[DataRequired()]
    )
    ideal_users = MultiCheckboxField(
        "Ideal users",
        choices=options(IdealUser.choices()),
        validators=[DataRequired(message="Choose at least one.")],
    )
    description = TextAreaField(
        "Description", filters=[strip], validators=[DataRequired(), Length(max=2000)]
    )
    why_use_it = TextAreaField("Why use it", filters=[strip], validators=[Length(max=2000)])
    comment_id = HiddenField(filters=[_id_or_none])
    # Set once the member has seen the likely duplicates and still wants to send it.
    confirmed = HiddenField(validators=[Optional()])

    def fields_dict(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "title",
                "url",
                "organization",
                "resource_type",
                "ideal_users",
                "description",
                "why_use_it",
            )
        }
