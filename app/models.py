"""Every table, imported once so Alembic and the app see the whole schema."""

from app.audit.models import AuditEntry
from app.certifications.models import BoardAction, Certification
from app.people.models import Person
from app.rules.models import RuleSetVersion

__all__ = ["AuditEntry", "BoardAction", "Certification", "Person", "RuleSetVersion"]
