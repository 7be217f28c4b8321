"""Generated conversation (see playbook.devdata): comments on plays, resources, framework
components and public playbooks (and team talk on member-only playbooks), replies
one level deep; some waiting for a moderator, hidden by flags or rejected; the flags;
the moderation log that made long-standing members trusted; resource suggestions;
and notifications. Comment bodies come from a pool of distinct texts, each rendered
to HTML once. The benchmark playbook gets exactly BENCHMARK_COMMENTS published comments."""

from __future__ import annotations

from flask import current_app

from playbook.comments.suggestions import normalize_url
from playbook.devdata.scale import BENCHMARK_COMMENTS
from playbook.models import (
    Comment,
    CommentStatus,
    Decision,
    Flag,
    FlagReason,
    IdealUser,
    ModerationAction,
    Notification,
    NotificationKind,
    ResourceType,
    SubjectKind,
    Submission,
    SubmissionStatus,
    TargetKind,
)
from playbook.sanitize import render_markdown

KIND_WEIGHTS = {
    TargetKind.RESOURCE: 40,
    TargetKind.PLAY: 30,
    TargetKind.PLAYBOOK: 20,
    TargetKind.COMPONENT: 5,
    "team": 5,
}
# Published, then the rest: waiting, hidden by flags, rejected, published with open flags.
FATES = {"published": 92.0, "pending": 3.0, "hidden": 1.5, "rejected": 1.5, "flagged": 2.0}
REPLY_SHARE = 0.25
DELETED_SHARE = 0.01
REJECT_REASONS = [
    "Off-topic for this page: please post it where it fits.",
    "Advertising a paid product is not allowed here.",
    "Please keep comments about the practice, not about people.",
]


def fill(run) -> None:
    talk = _Talk(run)
    if run.benchmark_id is not None:
        talk.benchmark_thread(min(BENCHMARK_COMMENTS, run.scale.comments))
    talk.the_rest(run.scale.comments - len(talk.comments))
    run.insert(Comment, talk.comments)
    run.insert(Flag, talk.flags)
    talk.trust_log()
    _suggestions(run, talk)
    run.insert(ModerationAction, talk.actions)
    _notifications(run)
    run.say(
        f"{len(talk.comments)} comments ({talk.replies} replies), {len(talk.flags)} flags, "
        f"{len(talk.actions)} moderation decisions"
    )


class _Talk:
    def __init__(self, run):
        self.run, self.rng = run, run.rng
        self.bodies = [
            (body, render_markdown(body))
            for body in sorted(
                {run.write.comment(n) for n in range(run.scale.distinct_comments * 3)}
            )
        ]
        self.rng.shuffle(self.bodies)
        self.bodies = self.bodies[: run.scale.distinct_comments]
        self.comments: list[dict] = []
        self.flags: list[dict] = []
        self.actions: list[dict] = []
        self.replies = 0
        self.open_threads: dict[tuple, list[dict]] = {}  # target -> published top-level comments
        self.by_author: dict[int, list[dict]] = {}
        people = [user_id for user_id, _ in run.users]
        # About one member in five is new: their comments wait for a moderator.
        self.newcomers = [
            u for u in people if u not in run.moderators and self.rng.random() < 0.2
        ] or people
        newcomers = set(self.newcomers)
        self.trusted = [u for u in people if u not in newcomers] or people
        self.targets = {
            TargetKind.RESOURCE: sorted(run.resources),
            TargetKind.PLAY: sorted(run.plays),
            TargetKind.COMPONENT: sorted(run.components),
            TargetKind.PLAYBOOK: [p for p in run.public_playbooks if p != run.benchmark_id],
            "team": list(run.team_playbooks),
        }
        self.kinds = [k for k in KIND_WEIGHTS if self.targets[k]]
        self.kind_weights = [KIND_WEIGHTS[k] for k in self.kinds]
        # A few targets draw most of the talk (weights falling like 1/rank).
        self.cumulative = {}
        for kind in self.kinds:
            self.rng.shuffle(self.targets[kind])
            total, cumulative = 0.0, []
            for rank in range(len(self.targets[kind])):
                total += 1.0 / (rank + 3)
                cumulative.append(total)
            self.cumulative[kind] = cumulative

    def _comment(
        self, kind: TargetKind, target_id: int, author: int, fate: str, parent: dict | None
    ) -> dict:
        run = self.run
        body, html = self.rng.choice(self.bodies)
        created = run.after(parent["created_at"], 7) if parent else run.ago(365, 0.01)
        status = {
            "pending": CommentStatus.PENDING,
            "hidden": CommentStatus.HIDDEN,
            "rejected": CommentStatus.REJECTED,
        }.get(fate, CommentStatus.PUBLISHED)
        row = dict(
            id=run.next_id(Comment),
            author_id=author,
            target_kind=kind,
            play_id=None,
            resource_id=None,
            component_id=None,
            playbook_id=None,
            parent_id=parent["id"] if parent else None,
            body=body,
            body_html=html,
            status=status,
            reason=self.rng.choice(REJECT_REASONS) if fate == "rejected" else "",
            created_at=created,
            edited_at=None,
            deleted_at=None,
        )
        row[kind.column] = target_id
        self.comments.append(row)
        self.by_author.setdefault(author, []).append(row)
        if parent:
            self.replies += 1
        elif status is CommentStatus.PUBLISHED:
            self.open_threads.setdefault((kind, target_id), []).append(row)
        if fate in ("hidden", "flagged"):
            self._flag(
                row,
                current_app.config["PLAYBOOK_FLAGS_TO_HIDE"]
                if fate == "hidden"
                else self.rng.randint(1, 2),
            )
        if fate == "rejected":
            self._decide(row, Decision.REJECT, "pending", "rejected", row["reason"])
        return row

    def _flag(self, comment: dict, count: int) -> None:
        flaggers = [
            u
            for u in self.rng.sample(self.trusted, min(len(self.trusted), count + 1))
            if u != comment["author_id"]
        ][:count]
        for user_id in flaggers:
            self.flags.append(
                dict(
                    id=self.run.next_id(Flag),
                    comment_id=comment["id"],
                    user_id=user_id,
                    reason=self.rng.choice(list(FlagReason)),
                    note="",
                    created_at=self.run.after(comment["created_at"], 3),
                    resolved_at=None,
                )
            )

    def _decide(
        self,
        subject: dict,
        decision: Decision,
        before: str,
        after: str,
        reason: str = "",
        kind: SubjectKind = SubjectKind.COMMENT,
    ) -> None:
        summary = subject.get("body") or subject.get("title") or ""
        self.actions.append(
            dict(
                id=self.run.next_id(ModerationAction),
                moderator_id=self.rng.choice(self.run.moderators or [0]),
                author_id=subject["author_id"],
                subject_kind=kind,
                subject_id=subject["id"],
                decision=decision,
                from_status=before,
                to_status=after,
                reason=reason,
                summary=" ".join(summary.split())[:300],
                undoes_id=None,
                created_at=self.run.after(subject["created_at"], 2),
            )
        )

    def benchmark_thread(self, count: int) -> None:
        """Published comments only, about one in three a reply."""
        target = (TargetKind.PLAYBOOK, self.run.benchmark_id)
        for n in range(count):
            tops = self.open_threads.get(target, [])
            parent = self.rng.choice(tops) if tops and n % 3 == 2 else None
            self._comment(*target, self.rng.choice(self.trusted), "published", parent)

    def the_rest(self, count: int) -> None:
        if count <= 0 or not self.kinds:
            return
        fates, weights = list(FATES), list(FATES.values())
        kinds = self.rng.choices(self.kinds, self.kind_weights, k=count)
        for kind in kinds:
            target_id = self.rng.choices(self.targets[kind], cum_weights=self.cumulative[kind])[0]
            if kind == "team":
                # Team talk on a playbook that is not public is its members' own: never queued.
                author, fate, kind = (
                    self.rng.choice(self.run.members[target_id]),
                    "published",
                    TargetKind.PLAYBOOK,
                )
            else:
                fate = self.rng.choices(fates, weights)[0]
                author = self.rng.choice(
                    self.newcomers if fate in ("pending", "rejected") else self.trusted
                )
            tops = self.open_threads.get((kind, target_id))
            parent = self.rng.choice(tops) if tops and self.rng.random() < REPLY_SHARE else None
            row = self._comment(kind, target_id, author, fate, parent)
            if (
                fate == "published"
                and parent is None
                and kind is not TargetKind.PLAYBOOK
                and self.rng.random() < DELETED_SHARE
            ):
                row["deleted_at"] = self.run.after(row["created_at"], 10)

    def trust_log(self) -> None:
        """Members who publish at once got there by approvals: log them on their
        first comments, as a moderator would have."""
        needed = current_app.config["PLAYBOOK_TRUST_AFTER_APPROVALS"]
        moderators = set(self.run.moderators)
        for author in sorted(self.by_author):
            if author in moderators or author in self._newcomer_set():
                continue
            earliest = sorted(self.by_author[author], key=lambda c: c["created_at"])[:needed]
            for comment in earliest:
                if comment["status"] is CommentStatus.PUBLISHED:
                    self._decide(comment, Decision.APPROVE, "pending", "published")

    def _newcomer_set(self) -> set[int]:
        if not hasattr(self, "_newcomers"):
            self._newcomers = set(self.newcomers)
        return self._newcomers


def _suggestions(run, talk: _Talk) -> None:
    """Resources that entered the library by suggestion (approved), and suggestions
    still waiting or turned down."""
    rows = []
    for resource_id, author, title, url in run.suggested:
        rows.append(
            _submission(run, author, title, url, SubmissionStatus.APPROVED, resource_id=resource_id)
        )
    for n in range(max(5, run.scale.comments // 400)):
        status = SubmissionStatus.PENDING if n % 3 else SubmissionStatus.REJECTED
        title = run.write.resource_title()
        url = f"https://example.org/suggested/{n + 1}-{title.lower().replace(' ', '-')[:60]}"
        rows.append(_submission(run, run.rng.choice(talk.newcomers), title, url, status))
    for row in rows:
        if row["status"] is not SubmissionStatus.PENDING:
            to = row["status"].value
            talk._decide(
                row,
                Decision.APPROVE if to == "approved" else Decision.REJECT,
                "pending",
                to,
                row["reason"],
                SubjectKind.SUBMISSION,
            )
    run.insert(Submission, rows)


def _submission(
    run, author: int, title: str, url: str, status: SubmissionStatus, resource_id: int | None = None
):
    created = run.ago(300, 0.5)
    return dict(
        id=run.next_id(Submission),
        author_id=author,
        comment_id=None,
        title=title[:200],
        url=url,
        normalized_url=normalize_url(url),
        organization=run.write.publisher(),
        resource_type=run.rng.choice(list(ResourceType)),
        ideal_users=",".join(u.value for u in run.rng.sample(list(IdealUser), 2)),
        description=run.write.paragraph(1, 2),
        why_use_it=run.write.sentence(),
        status=status,
        reason=run.rng.choice(REJECT_REASONS) if status is SubmissionStatus.REJECTED else "",
        resource_id=resource_id,
        times_submitted=1,
        created_at=created,
        updated_at=created,
    )


def _notifications(run) -> None:
    rows = []
    kinds = [
        NotificationKind.REPLY,
        NotificationKind.CONTRIBUTION_APPROVED,
        NotificationKind.FORKED,
        NotificationKind.INVITED,
        NotificationKind.ITEM_ASSIGNED,
    ]
    for user_id, _ in run.users:
        for _ in range(run.rng.randint(0, 5)):
            kind = run.rng.choice(kinds)
            playbook_id = (
                run.rng.choice(run.public_playbooks)
                if run.public_playbooks
                and kind in (NotificationKind.FORKED, NotificationKind.ITEM_ASSIGNED)
                else None
            )
            created = run.ago(120)
            rows.append(
                dict(
                    id=run.next_id(Notification),
                    user_id=user_id,
                    kind=kind,
                    message=f"{kind.label} ({run.write.topic()}).",
                    link=f"/playbooks/{playbook_id}" if playbook_id else "/notifications/",
                    playbook_id=playbook_id,
                    created_at=created,
                    read_at=run.after(created, 3) if run.rng.random() < 0.6 else None,
                )
            )
    run.insert(Notification, rows)
