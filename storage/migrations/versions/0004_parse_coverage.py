"""parse coverage: how much of what looked like rules each parse read, and why a document
that looks like rules feeds nothing (积分入学, subsidies, Q&A replies …)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 23:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document_parses') as batch:
        batch.add_column(sa.Column('coverage_seen', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('coverage_read', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('not_about', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('document_parses') as batch:
        batch.drop_column('not_about')
        batch.drop_column('coverage_read')
        batch.drop_column('coverage_seen')
