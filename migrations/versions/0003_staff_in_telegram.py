"""staff in Telegram: staff members bound by invites, clinic staff groups and their events, reminder runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:40:47

A staff member is an invite (its code stored only as a hash) that binds one Telegram account with a
role at one or more clinics. A clinic's staff group hears about new bookings, cancellations and
failed deliveries: triggers write those events in the transaction of the change itself, and a worker
sends them in digests (new outbox kind `staff_digest`). A staff member who sent a result is told it
was delivered (outbox kind `staff_notice`). A reminder run started from the chat is followed in one
progress message.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('confirmation', 'cancellation', 'reminder', 'result', 'reply')"
NEW_KINDS = "kind IN ('confirmation', 'cancellation', 'reminder', 'result', 'reply', 'staff_notice', 'staff_digest')"
OLD_BOOKING_KINDS = "booking_id IS NOT NULL OR NOT (kind IN ('confirmation', 'cancellation', 'reminder', 'result'))"
NEW_BOOKING_KINDS = (
    "booking_id IS NOT NULL OR NOT (kind IN ('confirmation', 'cancellation', 'reminder', 'result', 'staff_notice'))"
)

# Only clinics with a staff group collect events; a booking's audit event says what happened to it.
EVENT_FROM_BOOKING_EVENT = """
CREATE FUNCTION staff_group_event_from_booking_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO staff_group_events (clinic_id, kind, booking_id)
    SELECT bookings.clinic_id, NEW.action, bookings.id
    FROM bookings JOIN clinic_staff_groups ON clinic_staff_groups.clinic_id = bookings.clinic_id
    WHERE bookings.id = NEW.booking_id;
    RETURN NULL;
END $$
"""
# A message to a patient that was given up on (blocked bot, attempts used up), whichever code path gave up.
EVENT_FROM_FAILED_DELIVERY = """
CREATE FUNCTION staff_group_event_from_failed_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO staff_group_events (clinic_id, kind, booking_id, failed_message_id)
    SELECT bookings.clinic_id, 'delivery_failed', bookings.id, NEW.id
    FROM bookings JOIN clinic_staff_groups ON clinic_staff_groups.clinic_id = bookings.clinic_id
    WHERE bookings.id = NEW.booking_id;
    RETURN NULL;
END $$
"""


def upgrade():
    op.create_table('staff_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('doctor_id', sa.Integer(), nullable=True),
    sa.Column('invite_hash', sa.String(length=64), nullable=False),
    sa.Column('invite_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('telegram_id', sa.BigInteger(), nullable=True),
    sa.Column('bound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(role = 'doctor') = (doctor_id IS NOT NULL)", name=op.f('ck_staff_members_doctor_role_has_doctor')),
    sa.CheckConstraint("role IN ('reception', 'doctor', 'admin')", name=op.f('ck_staff_members_role_known')),
    sa.CheckConstraint('(telegram_id IS NULL) = (bound_at IS NULL)', name=op.f('ck_staff_members_bound_has_account')),
    sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_staff_members_doctor_id_doctors'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['telegram_id'], ['users.telegram_id'], name=op.f('fk_staff_members_telegram_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members')),
    sa.UniqueConstraint('invite_hash', name=op.f('uq_staff_members_invite_hash'))
    )
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_members_doctor_id'), ['doctor_id'], unique=False)
        batch_op.create_index('uq_staff_members_active_account', ['telegram_id'], unique=True, postgresql_where=sa.text('telegram_id IS NOT NULL AND revoked_at IS NULL'))

    op.create_table('clinic_staff_groups',
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_clinic_staff_groups_clinic_id_clinics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by'], ['staff_members.id'], name=op.f('fk_clinic_staff_groups_set_by_staff_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('clinic_id', name=op.f('pk_clinic_staff_groups'))
    )
    with op.batch_alter_table('clinic_staff_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clinic_staff_groups_chat_id'), ['chat_id'], unique=False)

    op.create_table('staff_clinics',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_staff_clinics_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_staff_clinics_staff_id_staff_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'clinic_id', name=op.f('pk_staff_clinics'))
    )
    with op.batch_alter_table('staff_clinics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_clinics_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('staff_reminder_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('message_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('progress_message_id', sa.BigInteger(), nullable=True),
    sa.Column('follower', sa.String(length=32), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('shown_text', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_staff_reminder_runs_staff_id_staff_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_reminder_runs'))
    )
    with op.batch_alter_table('staff_reminder_runs', schema=None) as batch_op:
        batch_op.create_index('ix_staff_reminder_runs_open', ['checked_at'], unique=False, postgresql_where=sa.text('finished_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_staff_reminder_runs_staff_id'), ['staff_id'], unique=False)

    op.create_table('staff_group_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('failed_message_id', sa.Integer(), nullable=True),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.Column('digested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('booked', 'cancelled', 'delivery_failed')", name=op.f('ck_staff_group_events_kind_known')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_staff_group_events_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_staff_group_events_clinic_id_clinics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['digest_id'], ['outbox_messages.id'], name=op.f('fk_staff_group_events_digest_id_outbox_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['failed_message_id'], ['outbox_messages.id'], name=op.f('fk_staff_group_events_failed_message_id_outbox_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_group_events'))
    )
    with op.batch_alter_table('staff_group_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_group_events_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_group_events_digest_id'), ['digest_id'], unique=False)
        batch_op.create_index('ix_staff_group_events_pending', ['clinic_id', 'id'], unique=False, postgresql_where=sa.text('digested_at IS NULL'))

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_kind_known'), NEW_KINDS)
        batch_op.drop_constraint(op.f('ck_outbox_messages_booking_kind_has_booking'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_booking_kind_has_booking'), NEW_BOOKING_KINDS)
    op.execute(EVENT_FROM_BOOKING_EVENT)
    op.execute(
        "CREATE TRIGGER staff_group_event_from_booking_event AFTER INSERT ON booking_events FOR EACH ROW "
        "WHEN (NEW.action IN ('booked', 'cancelled')) EXECUTE FUNCTION staff_group_event_from_booking_event()"
    )
    op.execute(EVENT_FROM_FAILED_DELIVERY)
    op.execute(
        "CREATE TRIGGER staff_group_event_from_failed_delivery AFTER UPDATE OF status ON outbox_messages "
        "FOR EACH ROW WHEN (NEW.status = 'failed' AND OLD.status <> 'failed' "
        "AND NEW.kind IN ('confirmation', 'cancellation', 'reminder', 'result')) "
        "EXECUTE FUNCTION staff_group_event_from_failed_delivery()"
    )



def downgrade():
    op.execute("DROP TRIGGER IF EXISTS staff_group_event_from_failed_delivery ON outbox_messages")
    op.execute("DROP FUNCTION IF EXISTS staff_group_event_from_failed_delivery()")
    op.execute("DROP TRIGGER IF EXISTS staff_group_event_from_booking_event ON booking_events")
    op.execute("DROP FUNCTION IF EXISTS staff_group_event_from_booking_event()")
    # Staff messages have no place in the older schema.
    op.execute("DELETE FROM outbox_messages WHERE kind IN ('staff_notice', 'staff_digest')")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_booking_kind_has_booking'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_booking_kind_has_booking'), OLD_BOOKING_KINDS)
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_kind_known'), OLD_KINDS)
    with op.batch_alter_table('staff_group_events', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_group_events_pending', postgresql_where=sa.text('digested_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_staff_group_events_digest_id'))
        batch_op.drop_index(batch_op.f('ix_staff_group_events_booking_id'))

    op.drop_table('staff_group_events')
    with op.batch_alter_table('staff_reminder_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_reminder_runs_staff_id'))
        batch_op.drop_index('ix_staff_reminder_runs_open', postgresql_where=sa.text('finished_at IS NULL'))

    op.drop_table('staff_reminder_runs')
    with op.batch_alter_table('staff_clinics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_clinics_clinic_id'))

    op.drop_table('staff_clinics')
    with op.batch_alter_table('clinic_staff_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clinic_staff_groups_chat_id'))

    op.drop_table('clinic_staff_groups')
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_index('uq_staff_members_active_account', postgresql_where=sa.text('telegram_id IS NOT NULL AND revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_staff_members_doctor_id'))

    op.drop_table('staff_members')
