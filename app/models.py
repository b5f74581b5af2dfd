"""Every table, imported once so Alembic and the app see the whole schema."""

from app.audit.models import AuditEntry, AuditEntryState
from app.catalog.models import (
    Course,
    CourseApproval,
    CourseApprovalCategory,
    CourseTopic,
    Provider,
    Topic,
    TopicProposal,
)
from app.certificates.models import Certificate, CredentialSubject
from app.certifications.models import BoardAction, Certification, CertificationActivity
from app.completions.models import Completion, IdempotencyRecord
from app.people.models import Person
from app.ratelimit.models import RateLimitHit
from app.reports.models import ComplianceSnapshot
from app.rules.models import RuleSetVersion
from app.scheduler.models import Flag, Outbox, Renewal, SweepRun, WebhookDeliveryAttempt, WebhookSubscription
from app.sessions.models import CourseSession

__all__ = [
    "AuditEntry",
    "AuditEntryState",
    "BoardAction",
    "Certificate",
    "Certification",
    "CertificationActivity",
    "Completion",
    "ComplianceSnapshot",
    "Course",
    "CourseApproval",
    "CourseApprovalCategory",
    "CourseSession",
    "CourseTopic",
    "CredentialSubject",
    "IdempotencyRecord",
    "Person",
    "Provider",
    "RateLimitHit",
    "RuleSetVersion",
    "Topic",
    "TopicProposal",
    "Flag",
    "Outbox",
    "Renewal",
    "SweepRun",
    "WebhookDeliveryAttempt",
    "WebhookSubscription",
]
