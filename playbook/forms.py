"""Form building blocks shared by every feature: the confirm-button form, the base
of query-string filter forms, the checkbox-list field, the one-line text field, field
filters and validators for URLs and passwords."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from playbook import text


class ConfirmForm(FlaskForm):
    """A form with nothing but the CSRF token, for POST buttons."""


ANY = [("", "Any")]  # the first option of every filter: no filter


class FilterForm(FlaskForm):
    """Filters arrive in the query string; a GET form has no CSRF token."""

    class Meta:
        csrf = False


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def strip(value):
    return value.strip() if isinstance(value, str) else value


def one_line(value):
    """Fold tabs to spaces and trim (playbook.text.clean_single_line)."""
    return text.clean_single_line(value) if isinstance(value, str) else value


class SingleLine:
    """A validator applying playbook.text's rules for one-line fields: no line breaks,
    control characters, invisible characters or unbalanced direction marks."""

    def __call__(self, form, field):
        problem = text.single_line_problem(field.data) if isinstance(field.data, str) else None
        if problem:
            raise ValidationError(f"{field.label.text} {problem}.")


class EachLine:
    """A validator for a text area that holds one short entry per line (the elements
    of a framework component): each line follows the one-line rules."""

    def __call__(self, form, field):
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            problem = text.single_line_problem(text.clean_single_line(line))
            if problem:
                raise ValidationError(f"{field.label.text}: line {number} {problem}.")


class LineField(StringField):
    """A one-line text field (title, name, organization): trimmed, tabs folded to
    spaces, refused with a field error when it holds what a one-line field may not."""

    def __init__(self, label=None, validators=None, filters=(), **kwargs):
        super().__init__(
            label, [*(validators or ()), SingleLine()], filters=[*filters, one_line], **kwargs
        )


def web_url_problem(value: str) -> str | None:
    """Why a URL is not an acceptable http(s) link, or None when it is."""
    value = (value or "").strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        return "A link cannot contain spaces or control characters."
    try:
        parts = urlsplit(value)
    except ValueError:
        return "That does not look like a web address."
    if parts.scheme.lower() not in {"http", "https"}:
        return "Only web links starting with http:// or https:// are accepted."
    if not parts.hostname or "." not in parts.hostname.strip("."):
        return "The link needs a full host name, such as https://example.org/."
    return None


class WebURL:
    """A validator for http/https links; javascript:, data: and friends are refused."""

    def __call__(self, form, field):
        problem = web_url_problem(field.data)
        if problem:
            raise ValidationError(problem)


class StrongPassword:
    """A validator applying the password policy; the form may name the fields that hold
    the person's e-mail and name, which the password may not equal."""

    def __init__(self, email_field: str | None = None, name_field: str | None = None):
        self.email_field = email_field
        self.name_field = name_field

    def __call__(self, form, field):
        # Imported here: playbook.auth imports this module while it is being set up.
        from playbook.auth.passwords import password_problem

        email = (
            getattr(form, self.email_field).data
            if self.email_field
            else getattr(form, "user_email", "")
        )
        name = (
            getattr(form, self.name_field).data
            if self.name_field
            else getattr(form, "user_name", "")
        )
        problem = password_problem(field.data or "", email=email or "", display_name=name or "")
        if problem:
            raise ValidationError(problem)
