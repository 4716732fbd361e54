"""A Telegram account's booked visits by start: its upcoming list, read without its past.

The upcoming list (booked, not yet over, soonest first) was served by the patients' exclusion constraint on
user_id until 0010 moved that constraint to patient_id. The active-time GiST index left for the account serves it
too, but only while the planner prefers it: with a generic plan and a long history of visits it may pick
ix_bookings_user_starts instead and read every past visit. This index holds only booked visits, in the list's own
order, so it is smaller than that one in every plan.

Revision ID: 0011_user_booked
Revises: 0010_desk
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_user_booked'
down_revision = '0010_desk'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_bookings_user_booked_starts', 'bookings', ['user_id', 'starts_at'], unique=False,
                    postgresql_where="status = 'booked'")


def downgrade():
    op.drop_index('ix_bookings_user_booked_starts', table_name='bookings')
