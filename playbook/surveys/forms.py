"""Forms for editing survey instruments: one per intent."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from playbook.forms import LineField, options, strip
from playbook.models import Scale, SurveyAudience


class InstrumentForm(FlaskForm):
    title_en = LineField("Title (English)", validators=[DataRequired(), Length(max=200)])
    title_es = LineField(
        "Title (Spanish)", validators=[DataRequired(), Length(max=200)], render_kw={"lang": "es"}
    )
    description_en = TextAreaField(
        "Introduction (English)",
        filters=[strip],
        validators=[Optional(), Length(max=5000)],
        description="What respondents read before the first question.",
    )
    description_es = TextAreaField(
        "Introduction (Spanish)",
        filters=[strip],
        validators=[Optional(), Length(max=5000)],
        render_kw={"lang": "es"},
    )
    open_question_en = LineField(
        "Open question at the end (English)",
        validators=[Optional(), Length(max=400)],
        description="Optional. Leave both languages empty for none.",
    )
    open_question_es = LineField(
        "Open question at the end (Spanish)",
        validators=[Optional(), Length(max=400)],
        render_kw={"lang": "es"},
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        for name in ("description", "open_question"):
            en, es = self[f"{name}_en"], self[f"{name}_es"]
            if bool(en.data) != bool(es.data):
                (es if en.data else en).errors.append(
                    "Give this text in both languages, or leave both empty."
                )
                return False
        return True


class NewInstrumentForm(InstrumentForm):
    framework_id = SelectField("Framework it measures", validators=[InputRequired()])
    audience = SelectField(
        "Who answers it",
        choices=options(SurveyAudience.choices()),
        validators=[InputRequired()],
    )

    def __init__(self, framework_choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.framework_id.choices = options(framework_choices)


class ItemForm(FlaskForm):
    element_id = SelectField(
        "Framework element it measures",
        validators=[InputRequired()],
        description="One question, one idea, about one element.",
    )
    text_en = LineField(
        "Question (English)",
        validators=[DataRequired(), Length(max=400)],
        description="Worded positively, so that a higher answer means more personalized.",
    )
    text_es = LineField(
        "Question (Spanish)", validators=[DataRequired(), Length(max=400)], render_kw={"lang": "es"}
    )
    scale = SelectField(
        "Answer scale",
        choices=options(Scale.choices()),
        validators=[InputRequired()],
        description="Every question also offers “prefer not to answer”.",
    )
    sensitive = BooleanField(
        "Sensitive: touches health, family, income or a similar private matter",
        description="A round that asks it tells parents first and lets them opt out.",
    )

    def __init__(self, element_choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.element_id.choices = options(element_choices)


class ImportForm(FlaskForm):
    file = FileField(
        "Instrument export (.json)",
        validators=[FileRequired("Choose a file to import.")],
        description="A file made with “Export as JSON”. Up to 1 MB.",
    )
