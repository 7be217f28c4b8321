"""Shared pieces of the security suite: browsers with sessions of their own, a
snapshot of every table, a world of real objects to aim requests at, and what a
browser makes of a Location header."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import unquote, unquote_to_bytes, urljoin, urlsplit

from sqlalchemy import select

from playbook.extensions import db
from playbook.models import (
    Invitation,
    MemberRole,
    Membership,
    Notification,
    NotificationKind,
    PasswordResetToken,
    SiteRole,
    SurveyAudience,
    utcnow,
)
from playbook.playbooks import services as playbook_services
from playbook.tokens import hash_token, new_token
from tests import factories
from tests.helpers import csrf_token_from, sign_in
from tests.matrix import is_sign_in_redirect, share_compiled_templates

# sign_in and is_sign_in_redirect are imported from here by the security tests too.

# The answer to a POST whose CSRF token is missing or not this session's (playbook/errors.py).
CSRF_MESSAGE = "Your form expired or was sent from somewhere else."


# --- browsers ---------------------------------------------------------------------------


def browser(app, user=None):
    """A new browser, signed in as user when given, that has already opened a page with
    a form (so its session holds a CSRF token of its own). Returns (client, token)."""
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    response = client.get("/" if user is not None else "/auth/login")
    assert response.status_code == 200, response.status_code
    return client, csrf_token_from(response.get_data(as_text=True))


# --- the database, all of it ------------------------------------------------------------


def database_snapshot() -> dict[str, tuple[int, str]]:
    """Every table of the models: its row count and a hash of all its rows, read
    straight from the database (tables added later are included automatically)."""
    db.session.rollback()  # see what requests committed, not what this session remembers
    snapshot = {}
    for table in db.metadata.sorted_tables:
        rows = [tuple(row) for row in db.session.execute(select(table)).all()]
        rows.sort(key=repr)  # the same rows in any order give the same hash
        snapshot[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    db.session.rollback()
    return snapshot


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


# --- a world of real objects --------------------------------------------------------------


def build_world(app) -> SimpleNamespace:
    """People and objects for requests to aim at, all made through the services:

    - admin (site admin) owns `playbook`: a private playbook with a note, `editor`
      (member) as editor, `viewer` as viewer, and an open invitation to a newcomer;
      admin also owns `binned`, a playbook in the bin; `playbook` has a survey round
      (`round_id`) asking a sensitive students' instrument of one group (`group_id`);
    - member owns `theirs`, with an open invitation addressed to admin;
    - the library: a framework with two components, a play and a resource, each also
      retired (`retired_*`); a survey instrument of each framework (one element and
      one question per component);
    - a notification for `owner` (a member) and one for admin;
    - a live password-reset token (`reset_token`) of `target`, a member no one signs in as.
    """
    share_compiled_templates(app)
    users = {
        "admin": factories.make_user(SiteRole.ADMIN, display_name="Ada Admin"),
        "moderator": factories.make_user(SiteRole.MODERATOR, display_name="Mona Moderator"),
        "member": factories.make_user(display_name="Maria Member"),
        "owner": factories.make_user(display_name="Otto Owner"),
        "editor": factories.make_user(display_name="Eddie Editor"),
        "viewer": factories.make_user(display_name="Vera Viewer"),
        "target": factories.make_user(display_name="Tess Target"),
    }
    admin = users["admin"]
    framework = factories.make_framework()
    play = factories.make_play(framework)
    resource = factories.make_resource()
    retired_framework = factories.make_framework(retired_at=utcnow())
    retired_play = factories.make_play(framework, retired=True)
    retired_resource = factories.make_resource(retired=True)
    instrument = factories.make_instrument(framework)
    retired_instrument = factories.make_instrument(retired_framework)

    playbook = factories.make_playbook(admin)
    section = playbook.sections[0]
    item = playbook_services.add_item(
        admin, playbook, section, kind="note", title="A note", notes="Our *notes*."
    )
    playbook = playbook_services.load_playbook_for_change(playbook.id)
    for role in ("editor", "viewer"):
        playbook.memberships.append(Membership(user_id=users[role].id, role=MemberRole(role)))
    db.session.commit()
    invitation = _invitation(playbook.id, "newcomer@example.org", admin)
    survey_round = factories.make_round(
        playbook,
        [
            factories.make_instrument(
                framework, audience=SurveyAudience.STUDENTS_6_12, sensitive=True
            )
        ],
        groups=(("Grade 7, room 214", SurveyAudience.STUDENTS_6_12, 3),),
    )
    round_id, group_id = survey_round.id, survey_round.groups[0].id
    binned = factories.make_playbook(admin)
    playbook_services.delete_playbook(admin, binned)
    theirs = factories.make_playbook(users["member"])
    invitation_to_admin = _invitation(theirs.id, admin.email, users["member"])

    notifications = {}
    for name in ("owner", "admin"):
        notification = Notification(
            user_id=users[name].id,
            kind=NotificationKind.INVITED,
            message=f"A notification for {users[name].display_name}.",
            link="/playbooks/invitations",
        )
        db.session.add(notification)
        db.session.flush()
        notifications[name] = notification.id
    community = _community(users, play.id)
    reset_token = new_token()
    db.session.add(
        PasswordResetToken(
            user_id=users["target"].id,
            token_hash=hash_token(reset_token),
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    db.session.commit()
    playbook = playbook_services.load_playbook_for_change(playbook.id)
    return SimpleNamespace(
        app=app,
        users=users,
        framework_id=framework.id,
        component_id=framework.components[0].id,
        play_id=play.id,
        resource_id=resource.id,
        retired_framework_id=retired_framework.id,
        retired_component_id=retired_framework.components[0].id,
        retired_play_id=retired_play.id,
        retired_resource_id=retired_resource.id,
        instrument_id=instrument.id,
        instrument_item_id=instrument.items[0].id,
        retired_instrument_id=retired_instrument.id,
        playbook_id=playbook.id,
        section_id=section.id,
        item_id=item.id,
        editor_membership_id=next(
            m.id for m in playbook.memberships if m.user_id == users["editor"].id
        ),
        invitation_id=invitation,
        binned_playbook_id=binned.id,
        round_id=round_id,
        group_id=group_id,
        their_playbook_id=theirs.id,
        invitation_to_admin_id=invitation_to_admin,
        notification_ids=notifications,
        reset_token=reset_token,
        **community,
    )


def _community(users, play_id: int) -> dict:
    """Comments and suggestions on the world's play, all written by `owner`: a
    published comment, a pending one, a rejected suggestion (theirs to revise) and a
    pending one; a moderator's decision on another comment; a reason template."""
    from playbook.models import (
        Comment,
        CommentStatus,
        Decision,
        ModerationAction,
        ReasonTemplate,
        ResourceType,
        SubjectKind,
        Submission,
        SubmissionStatus,
        TargetKind,
    )

    def comment(status, body):
        row = Comment(
            author_id=users["owner"].id,
            target_kind=TargetKind.PLAY,
            play_id=play_id,
            body=body,
            body_html=f"<p>{body}</p>",
            status=status,
        )
        db.session.add(row)
        db.session.flush()
        return row.id

    def submission(status, title):
        row = Submission(
            author_id=users["owner"].id,
            title=title,
            url=f"https://example.org/{title}",
            normalized_url=f"example.org/{title}",
            resource_type=ResourceType.TOOLKIT,
            status=status,
            description="A toolkit.",
            ideal_users="Teachers",
        )
        db.session.add(row)
        db.session.flush()
        return row.id

    published, pending = (
        comment(CommentStatus.PUBLISHED, "Published"),
        comment(CommentStatus.PENDING, "Pending"),
    )
    decided = comment(CommentStatus.REJECTED, "Decided")
    action = ModerationAction(
        moderator_id=users["moderator"].id,
        author_id=users["owner"].id,
        subject_kind=SubjectKind.COMMENT,
        subject_id=decided,
        decision=Decision.REJECT,
        from_status="pending",
        to_status="rejected",
        reason="No.",
        summary="Decided",
    )
    template = ReasonTemplate(title="Off topic", body="This is not about personalized learning.")
    db.session.add_all([action, template])
    rejected = submission(SubmissionStatus.REJECTED, "rejected-kit")
    waiting = submission(SubmissionStatus.PENDING, "waiting-kit")
    db.session.commit()
    return {
        "comment_id": published,
        "pending_comment_id": pending,
        "submission_id": rejected,
        "pending_submission_id": waiting,
        "action_id": action.id,
        "template_id": template.id,
    }


def _invitation(playbook_id: int, email: str, by) -> int:
    invitation = Invitation(
        playbook_id=playbook_id,
        email=email,
        role=MemberRole.VIEWER,
        token_hash=hash_token(new_token()),
        invited_by_id=by.id,
        expires_at=utcnow() + timedelta(days=14),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation.id


# --- what a browser does with a Location header -------------------------------------------

_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# Schemes the URL standard calls "special": their URLs always have a host, and a
# backslash in them is read as a slash.
_SPECIAL = {"http", "https", "ws", "wss", "ftp", "file"}
# Dots that host parsing (UTS #46 mapping) reads as "."
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def browser_destination(
    location: str, base: str = "http://localhost/auth/login"
) -> tuple[str, str | None, str]:
    """(scheme, host, path?query) of where a browser goes on a redirect to `location`
    from the page `base`, following the WHATWG URL standard's parser where it differs
    from urllib: leading and trailing C0 controls and spaces are trimmed, tabs and
    newlines anywhere are dropped, a backslash is a slash, any number of slashes
    after a special scheme start the host, and "https:host" from an http page (a
    different special scheme) names a host. The host is decoded, mapped (NFKC, the
    ideographic dots) and lower-cased as host parsing does."""
    base_parts = urlsplit(base)
    text = re.sub(r"[\t\n\r]", "", location.strip(_C0_AND_SPACE))
    match = _SCHEME.match(text)
    if match:
        scheme, rest = match.group(1).lower(), text[match.end() :]
        if scheme not in _SPECIAL:
            return scheme, None, rest
        rest = rest.replace("\\", "/")
        if scheme != base_parts.scheme or rest.startswith("//"):
            return scheme, _host_of(rest.lstrip("/")), _path_of(rest.lstrip("/"), authority=True)
        text = rest  # the base's own scheme and no "//": relative to the page
    text = text.replace("\\", "/")
    if text.startswith("//"):
        return (
            base_parts.scheme,
            _host_of(text.lstrip("/")),
            _path_of(text.lstrip("/"), authority=True),
        )
    joined = urlsplit(urljoin(base, text))
    return (
        base_parts.scheme,
        base_parts.hostname,
        joined.path + (f"?{joined.query}" if joined.query else ""),
    )


def _host_of(authority_and_more: str) -> str:
    authority = re.split(r"[/?#]", authority_and_more, maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    host = (
        host[: host.index("]") + 1]
        if host.startswith("[") and "]" in host
        else host.partition(":")[0]
    )
    return unicodedata.normalize("NFKC", unquote(host)).translate(_DOTS).lower().rstrip(".")


def _path_of(text: str, *, authority: bool = False) -> str:
    if authority:
        cut = re.search(r"[/?#]", text)
        text = text[cut.start() :] if cut else "/"
    return text.split("#", 1)[0] or "/"


def stays_on_site(location: str, host: str = "localhost") -> bool:
    """Whether a redirect to `location` keeps a browser on this site, read both the
    WHATWG way (from an http and from an https page) and by urllib."""
    for base in (f"http://{host}/auth/login", f"https://{host}/auth/login"):
        scheme, dest_host, _ = browser_destination(location, base)
        if scheme not in ("http", "https") or dest_host != host:
            return False
    return urlsplit(urljoin(f"http://{host}/auth/login", location)).hostname in (None, host)


def follow_on_site(client, response, max_hops: int = 5) -> list[str]:
    """Follow redirects as a browser would, at most max_hops, while they stay on this
    site. Returns the problems found (an off-site Location, a loop that never ends)."""
    problems = []
    for _ in range(max_hops):
        if response.status_code not in (301, 302, 303, 307, 308):
            return problems
        location = response.headers["Location"]
        if not stays_on_site(location):
            return problems + [f"redirect off the site: {location!r}"]
        _, _, path_and_query = browser_destination(location)
        path, _, query = path_and_query.partition("?")
        # PATH_INFO as a server would pass it: decoded, bytes as latin-1 (WSGI).
        response = client.get(
            "/",
            environ_overrides={
                "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
                "QUERY_STRING": query,
            },
        )
    return problems + [f"still redirecting after {max_hops} hops"]
