"""Forms for site administration."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from playbook.forms import options, strip
from playbook.models import SiteRole


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Find people by name or e-mail", filters=[strip], validators=[Length(max=200)])


class SiteRoleForm(FlaskForm):
    site_role = SelectField(
        "Site role",
        choices=options((r.value, r.label) for r in SiteRole),
        validators=[DataRequired()],
    )
