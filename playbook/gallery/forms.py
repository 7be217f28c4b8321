"""The gallery's search and filters (query string, no CSRF)."""

from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from playbook.forms import ANY, FilterForm, options, strip
from playbook.models import Scope


class GalleryForm(FilterForm):
    q = StringField("Search", filters=[strip], validators=[Length(max=200)])
    scope = SelectField("Scope", choices=options(ANY + Scope.choices()), validators=[Optional()])
    framework = SelectField("Framework", choices=options(ANY), validators=[Optional()])
    component = SelectField("Covers component", choices=options(ANY), validators=[Optional()])
    sort = SelectField(
        "Sort by",
        choices=options([("updated", "Recently updated"), ("forks", "Most forked")]),
        validators=[Optional()],
    )

    def __init__(self, framework_choices, component_choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.framework.choices = options(ANY + list(framework_choices))
        self.component.choices = options(ANY + list(component_choices))
