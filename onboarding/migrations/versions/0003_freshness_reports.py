"""freshness reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('freshness_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('catalog_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('stale', sa.Boolean(), nullable=False),
    sa.Column('drift_count', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('freshness_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_freshness_reports_catalog_version'), ['catalog_version'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('freshness_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_freshness_reports_catalog_version'))
    op.drop_table('freshness_reports')
