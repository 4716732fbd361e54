"""indexes for years of bookings: what the hot queries read, and no index entries for the service a booking is not

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 12:00:00

Measured on a database the size of a clinic network after a few years (issue 21). Nightly no-show marking reads
the visits still booked by their end (`ix_bookings_booked_ends`), not every booking. A booking is either a
doctor's or a test's, so the doctor-side and test-side exclusion constraints and indexes leave out the rows whose
service column is NULL: they indexed every booking of the other kind under a NULL key (the test-side exclusion
index was 83 MB, mostly that). Deleting an outbox row (the retention purge) finds the staff group events that name
it as a failed delivery through `ix_staff_group_events_failed_message_id` instead of reading all of them.

The constraints are dropped and added again in one transaction, so no overlapping booking can slip in between;
rebuilding them locks `bookings` for the time the indexes take to build.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('booked', 'arrived', 'fulfilled')"
BOOKED = "status = 'booked'"


def upgrade():
    _service_constraints(doctor_where=f"{ACTIVE} AND doctor_id IS NOT NULL",
                         diagnostic_where=f"{ACTIVE} AND diagnostic_id IS NOT NULL",
                         doctor_index_where="doctor_id IS NOT NULL", diagnostic_index_where="diagnostic_id IS NOT NULL")
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_booked_ends', ['ends_at'], unique=False, postgresql_where=sa.text(BOOKED))
    with op.batch_alter_table('staff_group_events', schema=None) as batch_op:
        batch_op.create_index('ix_staff_group_events_failed_message_id', ['failed_message_id'], unique=False,
                              postgresql_where=sa.text('failed_message_id IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('staff_group_events', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_group_events_failed_message_id',
                            postgresql_where=sa.text('failed_message_id IS NOT NULL'))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_booked_ends', postgresql_where=sa.text(BOOKED))
    _service_constraints(doctor_where=ACTIVE, diagnostic_where=ACTIVE, doctor_index_where=None,
                         diagnostic_index_where=None)


def _service_constraints(*, doctor_where, diagnostic_where, doctor_index_where, diagnostic_index_where):
    """The doctor-side and test-side exclusion constraints and indexes, again with these predicates."""
    op.drop_constraint('ex_bookings_doctor_overlap', 'bookings')
    op.drop_constraint('ex_bookings_diagnostic_overlap', 'bookings')
    # Written out: Alembic's create_exclude_constraint cannot take the tstzrange expression.
    op.execute("ALTER TABLE bookings ADD CONSTRAINT ex_bookings_doctor_overlap EXCLUDE USING gist "
               f"(doctor_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE ({doctor_where})")
    op.execute("ALTER TABLE bookings ADD CONSTRAINT ex_bookings_diagnostic_overlap EXCLUDE USING gist "
               f"(diagnostic_id WITH =, clinic_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
               f"WHERE ({diagnostic_where})")
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_doctor_starts')
        batch_op.drop_index('ix_bookings_diagnostic_clinic_starts')
        batch_op.create_index('ix_bookings_doctor_starts', ['doctor_id', 'starts_at'], unique=False,
                              postgresql_where=_text_or_none(doctor_index_where))
        batch_op.create_index('ix_bookings_diagnostic_clinic_starts', ['diagnostic_id', 'clinic_id', 'starts_at'],
                              unique=False, postgresql_where=_text_or_none(diagnostic_index_where))


def _text_or_none(where):
    return None if where is None else sa.text(where)
