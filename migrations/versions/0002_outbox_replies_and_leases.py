"""outbox: bot replies delivered later, fenced and leased claims

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 02:10:00

A reply the bot could not send during a webhook (Telegram 5xx, network) becomes an outbox row that is
not about a booking. A claim carries a token that every finishing update must match (fencing) and a
lease its worker renews while it works, so a dead worker's rows return after the lease, not after a
fixed worst-case wait.
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('confirmation', 'cancellation', 'reminder', 'result')"
NEW_KINDS = "kind IN ('confirmation', 'cancellation', 'reminder', 'result', 'reply')"


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('booking_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_kind_known'), NEW_KINDS)
        batch_op.drop_index('ix_outbox_sending_claimed', postgresql_where=sa.text("status = 'sending'"))
        batch_op.create_index('ix_outbox_sending_lease', ['lease_expires_at'], unique=False,
                              postgresql_where=sa.text("status = 'sending'"))
    # Rows claimed under the old scheme get a token and a lease that has already run out: the next
    # sweep returns them, as it would have after DELIVERY_LOST_AFTER.
    op.execute(
        "UPDATE outbox_messages SET claim_token = md5(id::text), lease_expires_at = coalesce(claimed_at, now()) "
        "WHERE status = 'sending'"
    )
    op.create_check_constraint(
        op.f('ck_outbox_messages_booking_kind_has_booking'), 'outbox_messages',
        "booking_id IS NOT NULL OR NOT (kind IN ('confirmation', 'cancellation', 'reminder', 'result'))",
    )
    op.create_check_constraint(
        op.f('ck_outbox_messages_claim_is_leased'), 'outbox_messages',
        "(status = 'sending') = (claim_token IS NOT NULL AND lease_expires_at IS NOT NULL)",
    )


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE booking_id IS NULL")
    op.drop_constraint(op.f('ck_outbox_messages_claim_is_leased'), 'outbox_messages', type_='check')
    op.drop_constraint(op.f('ck_outbox_messages_booking_kind_has_booking'), 'outbox_messages', type_='check')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_sending_lease', postgresql_where=sa.text("status = 'sending'"))
        batch_op.create_index('ix_outbox_sending_claimed', ['claimed_at'], unique=False,
                              postgresql_where=sa.text("status = 'sending'"))
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_kind_known'), OLD_KINDS)
        batch_op.alter_column('booking_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('claim_token')
