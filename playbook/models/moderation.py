"""Resource suggestions, moderators' reason templates and the append-only audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from playbook.models.base import Base, IdMixin, UTCDateTime, utcnow
from playbook.models.library import IdealUser, LabelledEnum, ResourceType, enum_column
from playbook.models.user import User


class SubmissionStatus(LabelledEnum):
    PENDING = ("pending", "Waiting for a moderator")
    APPROVED = ("approved", "Approved: in the library")
    REJECTED = ("rejected", "Rejected")


class Submission(IdMixin, Base):
    """A resource an educator suggests for the library. Every one waits for a moderator."""

    __tablename__ = "submission"
    __table_args__ = (Index("ix_submission_status_created", "status", "created_at"),)

    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The comment it was suggested from, whose thread hears the decision.
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    # The URL reduced for duplicate checks: no scheme, "www.", fragment or trailing slash.
    normalized_url: Mapped[str] = mapped_column(String(500), index=True)
    organization: Mapped[str] = mapped_column(String(200), default="")
    resource_type: Mapped[ResourceType] = mapped_column(enum_column(ResourceType))
    ideal_users: Mapped[str] = mapped_column(
        String(300), default=""
    )  # comma-separated IdealUser values
    description: Mapped[str] = mapped_column(Text, default="")
    why_use_it: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SubmissionStatus] = mapped_column(
        enum_column(SubmissionStatus), default=SubmissionStatus.PENDING
    )
    reason: Mapped[str] = mapped_column(String(1000), default="")
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id", ondelete="SET NULL"))
    times_submitted: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()

    @property
    def ideal_user_list(self) -> list[IdealUser]:
        return [IdealUser(value) for value in self.ideal_users.split(",") if value]


class ReasonTemplate(IdMixin, Base):
    """A reusable reason moderators pick when rejecting, and may edit per decision."""

    __tablename__ = "reason_template"

    title: Mapped[str] = mapped_column(String(80), unique=True)
    body: Mapped[str] = mapped_column(String(1000))


class Decision(LabelledEnum):
    APPROVE = ("approve", "Approved")
    REJECT = ("reject", "Rejected")
    SPAM = ("spam", "Marked as spam")
    UNDO = ("undo", "Undone")


class SubjectKind(LabelledEnum):
    COMMENT = ("comment", "Comment")
    SUBMISSION = ("submission", "Resource suggestion")


class ModerationAction(IdMixin, Base):
    """One moderator decision. Rows are only ever added: database triggers refuse
    updates and deletes, and the ids are plain numbers (no foreign keys), so the log
    outlives what it talks about."""

    __tablename__ = "moderation_action"
    __table_args__ = (
        Index("ix_moderation_action_subject", "subject_kind", "subject_id"),
        Index("ix_moderation_action_author", "author_id", "decision"),
    )

    moderator_id: Mapped[int] = mapped_column(index=True)
    author_id: Mapped[int]
    subject_kind: Mapped[SubjectKind] = mapped_column(enum_column(SubjectKind))
    subject_id: Mapped[int]
    decision: Mapped[Decision] = mapped_column(enum_column(Decision))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    # What the subject said when it was decided (a title or the start of a comment).
    summary: Mapped[str] = mapped_column(String(300), default="")
    undoes_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    # Not a column: whether this is the latest decision on its subject, set by whoever
    # read the subject's history with it (the decided tab, the undo service). A
    # decision can be undone only while it is the latest word.
    is_latest = False

    @property
    def is_undo(self) -> bool:
        return self.decision is Decision.UNDO


APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER moderation_action_no_update BEFORE UPDATE ON moderation_action "
    "BEGIN SELECT RAISE(ABORT, 'the moderation log is append-only'); END",
    "CREATE TRIGGER moderation_action_no_delete BEFORE DELETE ON moderation_action "
    "BEGIN SELECT RAISE(ABORT, 'the moderation log is append-only'); END",
]
APPEND_ONLY_POSTGRES = [
    "CREATE FUNCTION moderation_action_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the moderation log is append-only'; END $$",
    "CREATE TRIGGER moderation_action_append_only BEFORE UPDATE OR DELETE ON moderation_action "
    "FOR EACH ROW EXECUTE FUNCTION moderation_action_append_only()",
]
DROP_POSTGRES = "DROP FUNCTION IF EXISTS moderation_action_append_only() CASCADE"

for _statement in APPEND_ONLY_SQLITE:
    event.listen(
        ModerationAction.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite")
    )
for _statement in APPEND_ONLY_POSTGRES:
    event.listen(
        ModerationAction.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
event.listen(
    ModerationAction.__table__, "after_drop", DDL(DROP_POSTGRES).execute_if(dialect="postgresql")
)
