"""Database models; import them all here so Alembic and SQLModel see one metadata."""

from .accounts import ConnectedAccount
from .freshness import FreshnessReport
from .hosted import HostedLink
from .links import OnboardingLink
from .notifications import Notification
from .outbox import StripeWrite
from .staff import AuditEntry, StaffUser
from .webhooks import WebhookEvent

__all__ = ["AuditEntry", "ConnectedAccount", "FreshnessReport", "HostedLink", "Notification", "OnboardingLink",
           "StaffUser",
           "StripeWrite", "WebhookEvent"]
