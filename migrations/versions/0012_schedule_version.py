"""A clinic's schedule version: bumped by every schedule change at the clinic, checked by each booking.

A booking is validated against the catalog snapshot, then written by one statement. A schedule change (a doctor's
hours, an override, an absence, a closure, a test's hours, the clinic's opening hours) locks the clinic row and
bumps this number before it commits; the booking statement locks the same row (FOR KEY SHARE) only where the number
is still the one its snapshot was read with. So a booking that started on the old hours either commits first (the
change then sees it and cancels it, as any visit it takes time from) or waits for the change and then writes
nothing (409): never a visit on hours just removed.

Revision ID: 0012_schedule_version
Revises: 0011_user_booked
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_schedule_version'
down_revision = '0011_user_booked'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('clinics', sa.Column('schedule_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('clinics', 'schedule_version')
