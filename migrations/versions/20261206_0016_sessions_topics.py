"""course sessions, topic proposals, and the certification a completion's learner was named by

Revision ID: 0016_sessions_topics
Revises: 0015_self_reports (chained after the peer branch's migration, merged first)
Create Date: 2026-12-06 01:00:00

- `course_session`: a dated run of a course (UTC start and end, the IANA zone they were given in, the
  local start date), its modality, place, join and registration links and capacity; `uid` and
  `sequence` make its iCalendar event stable across feeds and edits.
- `topic_proposal`: a provider's request for a new topic, accepted (it joins `topic`) or rejected by an
  admin. `topic` itself is unchanged: it holds the accepted taxonomy, and only its ids validate.
- `completion.learner_certification_id`: the certification the reporter named the learner by, so a
  provider's completion lists can show the number it gave (existing rows: unknown, null).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import app.db  # noqa: F401

revision: str = "0016_sessions_topics"
down_revision: str | None = "0015_self_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "topic_proposal",
        sa.Column("topic_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reviewed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("reviewed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('proposed', 'accepted', 'rejected')", name=op.f("ck_topic_proposal_status")),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"], name=op.f("fk_topic_proposal_provider_id_provider")),
        sa.PrimaryKeyConstraint("topic_id", name=op.f("pk_topic_proposal")),
    )
    with op.batch_alter_table("topic_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topic_proposal_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "course_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("modality", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("join_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("registration_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "modality IN ('in_person', 'live_virtual', 'hybrid')", name=op.f("ck_course_session_modality")
        ),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name=op.f("ck_course_session_capacity_positive")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_course_session_period")),
        sa.ForeignKeyConstraint(["course_id"], ["course.id"], name=op.f("fk_course_session_course_id_course")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_session")),
        sa.UniqueConstraint("uid", name=op.f("uq_course_session_uid")),
    )
    with op.batch_alter_table("course_session", schema=None) as batch_op:
        batch_op.create_index("ix_course_session_course_id_starts_at", ["course_id", "starts_at"], unique=False)
        batch_op.create_index("ix_course_session_starts_at_id", ["starts_at", "id"], unique=False)

    # Plain ALTER TABLE, no batch copy: on SQLite a copy of `completion` would drop the table that
    # certificates reference; a nullable column with an inline REFERENCES is what SQLite's ADD COLUMN allows.
    name = op.f("fk_completion_learner_certification_id_certification")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE completion ADD COLUMN learner_certification_id INTEGER "
            f"CONSTRAINT {name} REFERENCES certification (id)"
        )
    else:
        op.add_column("completion", sa.Column("learner_certification_id", sa.Integer(), nullable=True))
        op.create_foreign_key(name, "completion", "certification", ["learner_certification_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_column("completion", "learner_certification_id")  # SQLite 3.35+: drops the inline reference too
    else:
        op.drop_constraint(
            op.f("fk_completion_learner_certification_id_certification"), "completion", type_="foreignkey"
        )
        op.drop_column("completion", "learner_certification_id")
    with op.batch_alter_table("course_session", schema=None) as batch_op:
        batch_op.drop_index("ix_course_session_starts_at_id")
        batch_op.drop_index("ix_course_session_course_id_starts_at")
    op.drop_table("course_session")
    with op.batch_alter_table("topic_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_proposal_provider_id"))
    op.drop_table("topic_proposal")
