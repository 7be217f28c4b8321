"""Kept so that tests written against the old name still import: everything here now
lives in tests/factories.py (test data) and tests/helpers.py (pages and requests).
Import from those in new tests."""

from tests.factories import (
    SUGGESTION_FIELDS,
    add_comment,
    latest_comment,
    latest_submission,
    logged_actions,
    status_of,
)
from tests.helpers import (
    client_for,
    comment_on,
    comment_on_play,
    csrf_token_from,
    decide,
    flashes_after,
    post,
    queue_text,
    target_url,
    text_of,
    token_of,
)
