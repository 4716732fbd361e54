"""privacy: result files encrypted at rest, data exports, erasable patients

Revision ID: 0008_privacy
Revises: 0007_sched
Create Date: 2026-12-08 18:00:00

results.encrypted_with names the RESULTS_KEY key (by fingerprint) a file is encrypted with; files stored before are
plain (NULL) until `flask medsync rotate-results-key` encrypts them (it needs the key, which a migration must not).
data_exports holds each patient's "download my data". bookings.user_id becomes nullable: a patient who erased their
data leaves their bookings anonymised, tied to nobody.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008_privacy'
down_revision = '0007_sched'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('encrypted_with', sa.String(length=16), nullable=True))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.BigInteger(), nullable=True)
    op.create_table(
        'data_exports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('storage_path', sa.String(length=500), nullable=True),
        sa.Column('encrypted_with', sa.String(length=16), nullable=True),
        sa.Column('size_bytes', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'ready', 'failed')", name=op.f('ck_data_exports_status_known')),
        sa.ForeignKeyConstraint(['user_id'], ['users.telegram_id'], name=op.f('fk_data_exports_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports')),
    )
    op.create_index('ix_data_exports_user_requested', 'data_exports', ['user_id', 'requested_at'], unique=False)


def downgrade():
    op.drop_index('ix_data_exports_user_requested', table_name='data_exports')
    op.drop_table('data_exports')
    # Refused (NOT NULL) while bookings of erased patients exist: they belong to nobody, by design.
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_column('encrypted_with')
