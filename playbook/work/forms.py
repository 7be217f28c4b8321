"""The status form of a row on My work."""

from wtforms import IntegerField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from playbook.forms import options
from playbook.models import ItemStatus
from playbook.playbooks.forms import VersionedForm


class StatusForm(VersionedForm):
    """Change an item's status from My work (the version its page was made from)."""

    status = SelectField(
        "Status", choices=options(ItemStatus.choices()), validators=[DataRequired()]
    )
    # The page of My work to go back to.
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10_000)])
