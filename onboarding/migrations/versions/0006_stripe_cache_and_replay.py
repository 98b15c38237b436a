"""cached Stripe profile and persons; replayable outbox writes; revocable staff sessions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('connected_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_profile', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('stripe_persons', sa.JSON(), nullable=True))
    with op.batch_alter_table('stripe_writes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replay', sa.JSON(), nullable=True))
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sessions_valid_after', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('sessions_valid_after')
    with op.batch_alter_table('stripe_writes', schema=None) as batch_op:
        batch_op.drop_column('replay')
    with op.batch_alter_table('connected_accounts', schema=None) as batch_op:
        batch_op.drop_column('stripe_persons')
        batch_op.drop_column('stripe_profile')
