"""admin foundation: an audit log of changes and reads; staff tokens with a role and clinics

Revision ID: 0007_admin
Revises: 0006
Create Date: 2026-12-09 10:00:00

`audit_log` keeps who changed (or read) what and when, with the changed fields before and after; it names
actors and objects by id only, with no foreign keys, so it outlives what it names. A staff token may now carry
a role (reception or admin) and clinics (`staff_token_clinics`); existing tokens have none and keep their
meaning: the staff endpoints at every clinic, no administration.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0007_admin'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.BigInteger(), nullable=True),
    sa.Column('clinic_id', sa.Integer(), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_clinic_id_id', 'audit_log', ['clinic_id', 'id'], unique=False)
    op.create_index('ix_audit_log_object', 'audit_log', ['object_type', 'object_id', 'id'], unique=False)

    with op.batch_alter_table('staff_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_staff_tokens_role_known'), "role IS NULL OR role IN ('reception', 'admin')"
        )
    op.create_table('staff_token_clinics',
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_staff_token_clinics_clinic_id_clinics'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['token_id'], ['staff_tokens.id'],
                            name=op.f('fk_staff_token_clinics_token_id_staff_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_id', 'clinic_id', name=op.f('pk_staff_token_clinics'))
    )
    op.create_index(op.f('ix_staff_token_clinics_clinic_id'), 'staff_token_clinics', ['clinic_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_staff_token_clinics_clinic_id'), table_name='staff_token_clinics')
    op.drop_table('staff_token_clinics')
    with op.batch_alter_table('staff_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_staff_tokens_role_known'), type_='check')
        batch_op.drop_column('role')
    op.drop_index('ix_audit_log_object', table_name='audit_log')
    op.drop_index('ix_audit_log_clinic_id_id', table_name='audit_log')
    op.drop_table('audit_log')
