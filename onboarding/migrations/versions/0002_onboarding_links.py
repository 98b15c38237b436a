"""onboarding links

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('onboarding_links',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('account_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('collect', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('return_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('refresh_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['connected_accounts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('onboarding_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_links_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onboarding_links_token_hash'), ['token_hash'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('onboarding_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onboarding_links_token_hash'))
        batch_op.drop_index(batch_op.f('ix_onboarding_links_account_id'))
    op.drop_table('onboarding_links')
