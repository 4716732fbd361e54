"""schedules: rotas of doctors and of tests at clinics, a doctor's day overrides, a test's duration per clinic

Revision ID: 0007_sched
Revises: 0007_admin
Create Date: 2026-12-08 18:00:00

A rota is weekly hours (ISO weekday, local start and end) in force from `valid_from` until the owner's next
rota; its owner is a doctor, or a diagnostic at a clinic that offers it. A day override gives a doctor other
hours on one day (no intervals: a day off). Intervals of one day may not overlap (exclusion constraints over
the time of day as a range on a fixed date). Existing doctors and tests have no rota: they keep working the
clinic's hours. clinic_diagnostics.duration_minutes: the test's duration at that clinic (NULL: the type's).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0007_sched'
down_revision = '0007_admin'
branch_labels = None
depends_on = None

TIME_RANGE = "tsrange(DATE '2000-01-01' + starts_at, DATE '2000-01-01' + ends_at)"


def upgrade():
    op.create_table(
        'rotas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('doctor_id', sa.Integer(), nullable=True),
        sa.Column('clinic_id', sa.Integer(), nullable=True),
        sa.Column('diagnostic_id', sa.Integer(), nullable=True),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('(doctor_id IS NULL) <> (diagnostic_id IS NULL)', name=op.f('ck_rotas_one_owner')),
        sa.CheckConstraint('(diagnostic_id IS NULL) = (clinic_id IS NULL)', name=op.f('ck_rotas_diagnostic_at_clinic')),
        sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_rotas_doctor_id_doctors'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['clinic_id', 'diagnostic_id'],
                                ['clinic_diagnostics.clinic_id', 'clinic_diagnostics.diagnostic_id'],
                                name='fk_rotas_diagnostic_at_clinic', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rotas')),
    )
    op.create_index('uq_rotas_doctor_valid_from', 'rotas', ['doctor_id', 'valid_from'], unique=True,
                    postgresql_where=sa.text('doctor_id IS NOT NULL'))
    op.create_index('uq_rotas_diagnostic_valid_from', 'rotas', ['clinic_id', 'diagnostic_id', 'valid_from'],
                    unique=True, postgresql_where=sa.text('diagnostic_id IS NOT NULL'))
    op.create_table(
        'rota_intervals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rota_id', sa.Integer(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.Time(), nullable=False),
        sa.Column('ends_at', sa.Time(), nullable=False),
        sa.CheckConstraint('weekday BETWEEN 1 AND 7', name=op.f('ck_rota_intervals_iso_weekday')),
        sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_rota_intervals_ends_after_starts')),
        sa.ForeignKeyConstraint(['rota_id'], ['rotas.id'], name=op.f('fk_rota_intervals_rota_id_rotas'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rota_intervals')),
        postgresql.ExcludeConstraint((sa.column('rota_id'), '='), (sa.column('weekday'), '='),
                                     (sa.text(TIME_RANGE), '&&'), using='gist', name='ex_rota_intervals_overlap'),
    )
    op.create_index(op.f('ix_rota_intervals_rota_id'), 'rota_intervals', ['rota_id'], unique=False)
    op.create_table(
        'day_overrides',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('doctor_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_day_overrides_doctor_id_doctors'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_day_overrides')),
        sa.UniqueConstraint('doctor_id', 'day', name=op.f('uq_day_overrides_doctor_id_day')),
    )
    op.create_table(
        'override_intervals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('override_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.Time(), nullable=False),
        sa.Column('ends_at', sa.Time(), nullable=False),
        sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_override_intervals_ends_after_starts')),
        sa.ForeignKeyConstraint(['override_id'], ['day_overrides.id'],
                                name=op.f('fk_override_intervals_override_id_day_overrides'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_override_intervals')),
        postgresql.ExcludeConstraint((sa.column('override_id'), '='), (sa.text(TIME_RANGE), '&&'), using='gist',
                                     name='ex_override_intervals_overlap'),
    )
    op.create_index(op.f('ix_override_intervals_override_id'), 'override_intervals', ['override_id'], unique=False)
    with op.batch_alter_table('clinic_diagnostics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration_minutes', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_clinic_diagnostics_duration_positive'), 'duration_minutes > 0')


def downgrade():
    with op.batch_alter_table('clinic_diagnostics', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_clinic_diagnostics_duration_positive'), type_='check')
        batch_op.drop_column('duration_minutes')
    op.drop_table('override_intervals')
    op.drop_table('day_overrides')
    op.drop_table('rota_intervals')
    op.drop_index('uq_rotas_diagnostic_valid_from', table_name='rotas', postgresql_where=sa.text('diagnostic_id IS NOT NULL'))
    op.drop_index('uq_rotas_doctor_valid_from', table_name='rotas', postgresql_where=sa.text('doctor_id IS NOT NULL'))
    op.drop_table('rotas')
