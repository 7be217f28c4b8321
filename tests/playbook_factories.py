"""Kept so that tests written against the old name still import: everything here now
lives in tests/factories.py (test data) and tests/helpers.py (pages and requests).
Import from those in new tests."""

from tests.factories import (
    KINDS,
    STATUSES,
    add_members,
    add_note,
    add_play,
    item_count,
    items_by_section,
    latest_revision,
    make_playbook,
    playbook_count,
    reload,
    revision_count,
    seeded_framework,
    state_of,
)
from tests.helpers import (
    XSS_MARKDOWN,
    assert_no_live_script,
    csrf_token_from,
    field_value,
    form_posting_to,
    forms_on,
    page_version,
    post_change,
    race,
    token_for,
)
from tests.helpers import (
    field_error_html as field_error,
)
