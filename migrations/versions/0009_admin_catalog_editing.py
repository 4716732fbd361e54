"""catalog editing: a version on every edited catalog row, active doctors, uploaded photos

Revision ID: 0009_admin
Revises: 0008_privacy
Create Date: 2026-12-09 11:00:00

Clinics, specialties, doctors and diagnostic types carry a `version` the ORM bumps on every change and checks
in the UPDATE itself (a concurrent edit is refused, never silently overwritten; the admin API's If-Match
compares with it). A doctor with bookings is never deleted: `active` false hides them from the catalog and
from booking while their bookings stay. Uploaded photos are stored resized, one row per size, keyed by the
upload's hash, and served from this service (no files on the web tier's disks).
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009_admin'
down_revision = '0008_privacy'
branch_labels = None
depends_on = None

VERSIONED = ('clinics', 'specialties', 'doctors', 'diagnostic_types')


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('doctors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default='true', nullable=False))
    op.create_table('photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.SmallInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos')),
    sa.UniqueConstraint('sha256', 'size', name=op.f('uq_photos_sha256_size'))
    )


def downgrade():
    op.drop_table('photos')
    with op.batch_alter_table('doctors', schema=None) as batch_op:
        batch_op.drop_column('active')
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
