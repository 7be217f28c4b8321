"""Every model, re-exported so Alembic and the shell see them all."""
from playbook.models.base import Base, utcnow
from playbook.models.library import (
    Audience,
    Component,
    Effort,
    Element,
    Framework,
    GradeBand,
    IdealUser,
    Play,
    PlayAudience,
    Resource,
    ResourceIdealUser,
    ResourceType,
    Stage,
    play_component,
)
from playbook.models.comment import Comment, CommentStatus, Flag, FlagReason, TargetKind
from playbook.models.moderation import (
    Decision,
    ModerationAction,
    ReasonTemplate,
    SubjectKind,
    Submission,
    SubmissionStatus,
)
from playbook.models.notification import EmailOptOut, Notification, NotificationKind, OutgoingMail
from playbook.models.playbook import (
    DEFAULT_SECTIONS,
    Invitation,
    Item,
    ItemKind,
    ItemStatus,
    Membership,
    MemberRole,
    Playbook,
    Revision,
    Scope,
    Section,
    Visibility,
)
from playbook.models.search import SearchDocument
from playbook.models.site import SiteState
from playbook.models.user import AnonymousUser, AuthAttempt, LoginSession, PasswordResetToken, SiteRole, User

__all__ = [
    "Comment", "CommentStatus", "Decision", "Flag", "FlagReason", "ModerationAction", "ReasonTemplate",
    "SubjectKind", "Submission", "SubmissionStatus", "TargetKind",
    "EmailOptOut", "Notification", "NotificationKind", "OutgoingMail", "Invitation",
    "DEFAULT_SECTIONS", "Item", "ItemKind", "ItemStatus", "Membership", "MemberRole", "Playbook", "Revision",
    "Scope", "Section", "Visibility",
    "AnonymousUser", "Audience", "AuthAttempt", "Base", "Component", "Effort", "Element", "Framework",
    "GradeBand", "IdealUser", "LoginSession", "PasswordResetToken", "Play", "PlayAudience", "Resource",
    "ResourceIdealUser", "ResourceType", "SearchDocument", "SiteRole", "SiteState", "Stage", "User", "play_component",
    "utcnow",
]
