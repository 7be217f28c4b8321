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
from playbook.models.search import SearchDocument
from playbook.models.user import AnonymousUser, AuthAttempt, LoginSession, PasswordResetToken, SiteRole, User

__all__ = [
    "AnonymousUser", "Audience", "AuthAttempt", "Base", "Component", "Effort", "Element", "Framework",
    "GradeBand", "IdealUser", "LoginSession", "PasswordResetToken", "Play", "PlayAudience", "Resource",
    "ResourceIdealUser", "ResourceType", "SearchDocument", "SiteRole", "Stage", "User", "play_component",
    "utcnow",
]
