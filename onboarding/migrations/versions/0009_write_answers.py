"""what Stripe answered each write, whether the cache took it, and the visit that made it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows: no answer kept and none to apply (their requests committed, or `outbox retry` re-read).
    with op.batch_alter_table('stripe_writes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('visit', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_stripe_writes_visit'), ['visit'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stripe_writes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_writes_visit'))
        batch_op.drop_column('visit')
        batch_op.drop_column('applied_at')
        batch_op.drop_column('answer')
