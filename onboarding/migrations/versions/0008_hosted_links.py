"""hosted flows: each Account Link a user was sent to Stripe's hosted onboarding with

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hosted_links',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('account_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('onboarding_link_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('requirements', sa.JSON(), nullable=False),
    sa.Column('destination', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('return_to', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('refresh_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['connected_accounts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hosted_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hosted_links_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hosted_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hosted_links_account_id'))
    op.drop_table('hosted_links')
