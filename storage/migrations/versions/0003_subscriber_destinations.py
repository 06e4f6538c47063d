"""subscriber destinations: a subscriber is reached through one or more channels

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 09:00:00.000000

Every existing subscriber gets an email destination with its address, and every existing
delivery is attached to it, so nothing pending, sent or failed is lost. Deliveries become
unique per (destination, change) instead of per (subscriber, change).
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('destinations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=1000), nullable=False),
    sa.Column('secret_env', sa.String(length=100), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('subscribed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], name=op.f('fk_destinations_subscriber_id_subscribers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destinations')),
    sa.UniqueConstraint('channel', 'address', name='uq_destinations_channel_address')
    )
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destinations_subscriber_id'), ['subscriber_id'], unique=False)

    # every subscriber so far was an email address
    op.execute(
        "INSERT INTO destinations (subscriber_id, channel, address, secret_env, active, created_at, subscribed_at) "
        "SELECT id, 'email', email, NULL, active, created_at, subscribed_at FROM subscribers"
    )

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('destination_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE deliveries SET destination_id = (SELECT d.id FROM destinations d "
        "WHERE d.subscriber_id = deliveries.subscriber_id AND d.channel = 'email')"
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.alter_column('destination_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_deliveries_subscriber_change', type_='unique')
        batch_op.create_unique_constraint('uq_deliveries_destination_change', ['destination_id', 'change_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_deliveries_destination_id_destinations'), 'destinations', ['destination_id'], ['id']
        )
        batch_op.create_index(batch_op.f('ix_deliveries_destination_id'), ['destination_id'], unique=False)

    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=320), nullable=True)


def downgrade() -> None:
    # Only email destinations existed before: deliveries to other channels cannot be kept.
    op.execute(
        "DELETE FROM deliveries WHERE destination_id IN "
        "(SELECT id FROM destinations WHERE channel <> 'email')"
    )
    op.execute("DELETE FROM subscriptions WHERE subscriber_id IN (SELECT id FROM subscribers WHERE email IS NULL)")
    op.execute("DELETE FROM deliveries WHERE subscriber_id IN (SELECT id FROM subscribers WHERE email IS NULL)")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_destination_id'))
        batch_op.drop_constraint(batch_op.f('fk_deliveries_destination_id_destinations'), type_='foreignkey')
        batch_op.drop_constraint('uq_deliveries_destination_change', type_='unique')
        batch_op.create_unique_constraint('uq_deliveries_subscriber_change', ['subscriber_id', 'change_id'])
        batch_op.drop_column('destination_id')
    op.execute("DELETE FROM destinations")
    op.execute("DELETE FROM subscribers WHERE email IS NULL")
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=320), nullable=False)
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destinations_subscriber_id'))
    op.drop_table('destinations')
