"""subscriber profiles: a worker's profile (age, certificates, insurance months per city …)
kept on the subscription, as JSON, so digests can say what a change does to that person

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions') as batch:
        batch.add_column(sa.Column('profile', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions') as batch:
        batch.drop_column('profile')
