"""when an onboarding link's session was ended (save and exit), so a copied cookie stops working too

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('onboarding_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('onboarding_links', schema=None) as batch_op:
        batch_op.drop_column('ended_at')
