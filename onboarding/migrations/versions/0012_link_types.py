"""onboarding links get a type: account_onboarding (the wizard) or account_update (the account page)

Links made before types existed were onboarding links.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('onboarding_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type', sa.String(length=24), nullable=False,
                                      server_default='account_onboarding'))


def downgrade() -> None:
    with op.batch_alter_table('onboarding_links', schema=None) as batch_op:
        batch_op.drop_column('type')
