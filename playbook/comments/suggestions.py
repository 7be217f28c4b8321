"""Resource suggestions: likely duplicates, sending, revising. Every suggestion
waits for a moderator (see playbook.moderation.services for the decisions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from difflib import SequenceMatcher
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, or_, select

from playbook.comments.services import check_limits
from playbook.extensions import db
from playbook.models import (
    Comment,
    IdealUser,
    Resource,
    ResourceType,
    Submission,
    SubmissionStatus,
    User,
    utcnow,
)
from playbook.permissions import Action, can, require
from playbook.throttle import Limit

TITLE_SIMILARITY = 0.8
FIELDS = (
    "title",
    "url",
    "organization",
    "resource_type",
    "ideal_users",
    "description",
    "why_use_it",
)


def normalize_url(url: str) -> str:
    """The part of a URL that says which page it is: host without "www.", path
    without a trailing slash, and the query; lower-cased, no scheme or fragment."""
    parts = urlsplit((url or "").strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/").lower()
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"[:500]


def _title_key(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", (title or "").lower()))


def _similar(a: str, b: str) -> bool:
    a, b = _title_key(a), _title_key(b)
    return bool(a and b) and (a == b or SequenceMatcher(None, a, b).ratio() >= TITLE_SIMILARITY)


@dataclass(frozen=True)
class Duplicate:
    kind: str  # "resource" (in the library) or "suggestion" (waiting for a moderator)
    title: str
    url: str
    why: str  # "same link" or "similar title"
    resource_id: int | None = None


def find_duplicates(
    title: str, url: str, exclude_submission: int | None = None, limit: int = 5
) -> list[Duplicate]:
    """Library resources and pending suggestions with the same normalized link or a
    similar title. Candidates come from a few indexed or bounded queries."""
    wanted_url = normalize_url(url) if url else ""
    host = wanted_url.split("/", 1)[0]
    words = [w for w in _title_key(title).split() if len(w) > 3][:4]
    found: list[Duplicate] = []

    resource_filters = []
    if host:
        resource_filters.append(func.lower(Resource.url).contains(host, autoescape=True))
    for word in words:
        resource_filters.append(func.lower(Resource.title).contains(word, autoescape=True))
    if resource_filters:
        candidates = db.session.execute(
            select(Resource.id, Resource.title, Resource.url)
            .where(Resource.retired_at.is_(None), or_(*resource_filters))
            .limit(200)
        ).all()
        for rid, rtitle, rurl in candidates:
            if wanted_url and normalize_url(rurl) == wanted_url:
                found.append(Duplicate("resource", rtitle, rurl, "same link", rid))
            elif _similar(title, rtitle):
                found.append(Duplicate("resource", rtitle, rurl, "similar title", rid))

    submission_filters = []
    if wanted_url:
        submission_filters.append(Submission.normalized_url == wanted_url)
    for word in words:
        submission_filters.append(func.lower(Submission.title).contains(word, autoescape=True))
    if submission_filters:
        query = select(
            Submission.id, Submission.title, Submission.url, Submission.normalized_url
        ).where(Submission.status == SubmissionStatus.PENDING, or_(*submission_filters))
        if exclude_submission is not None:
            query = query.where(Submission.id != exclude_submission)
        for _sid, stitle, surl, snorm in db.session.execute(query.limit(200)).all():
            if wanted_url and snorm == wanted_url:
                found.append(Duplicate("suggestion", stitle, surl, "same link"))
            elif _similar(title, stitle):
                found.append(Duplicate("suggestion", stitle, surl, "similar title"))
    return found[:limit]


def apply_submission_fields(submission: Submission, fields: dict) -> None:
    """Copy a suggestion's checked form fields onto the submission, trimmed to the
    columns' lengths (the URL normalized for duplicate checks). Not committed."""
    submission.title = fields["title"].strip()[:200]
    submission.url = fields["url"].strip()[:500]
    submission.normalized_url = normalize_url(submission.url)
    submission.organization = (fields.get("organization") or "").strip()[:200]
    submission.resource_type = ResourceType(fields["resource_type"])
    submission.ideal_users = ",".join(
        IdealUser(u).value for u in dict.fromkeys(fields.get("ideal_users") or [])
    )
    submission.description = (fields.get("description") or "").strip()
    submission.why_use_it = (fields.get("why_use_it") or "").strip()
    submission.updated_at = utcnow()


def _check_limit(author: User) -> None:
    allowed = current_app.config["PLAYBOOK_SUGGESTIONS_PER_HOUR"]
    if allowed and not author.is_moderator:
        check_limits(
            [Limit("suggest", f"user:{author.id}", allowed, timedelta(hours=1))],
            "suggesting resources",
        )


def suggest_resource(author: User, fields: dict, comment: Comment | None = None) -> Submission:
    """Send a suggestion to the moderators, linked to the comment it came from."""
    require(author, Action.SUGGESTION_CREATE)
    if not can(author, Action.SUGGESTION_FROM_COMMENT, comment):
        comment = None  # only one's own comment carries one's suggestion
    _check_limit(author)
    submission = Submission(author_id=author.id, comment_id=comment.id if comment else None)
    apply_submission_fields(submission, fields)
    db.session.add(submission)
    db.session.commit()
    return submission


def revise_suggestion(author: User, submission: Submission, fields: dict) -> Submission:
    """Change a rejected suggestion and send it to the moderators again."""
    require(author, Action.SUGGESTION_REVISE, submission)
    _check_limit(author)
    apply_submission_fields(submission, fields)
    submission.status, submission.reason = SubmissionStatus.PENDING, ""
    submission.times_submitted += 1
    db.session.commit()
    return submission


def submission_fields(submission: Submission) -> dict:
    data = {name: getattr(submission, name) for name in FIELDS}
    data["ideal_users"] = [u.value for u in submission.ideal_user_list]
    data["resource_type"] = submission.resource_type.value
    return data
