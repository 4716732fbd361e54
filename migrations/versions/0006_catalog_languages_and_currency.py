"""catalog languages and currency: a currency and a default language per clinic, translated catalog texts,
diagnostic prices per clinic

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00

Each clinic states its currency (ISO 4217; existing clinics priced in hryvnias: 'UAH') and the language
its catalog texts fall back to before English (existing texts are English: 'en'). Specialty and diagnostic
names, diagnostic descriptions, doctors' bios, experience and services keep their English text in their
column and get a JSONB `{language: text}` of translations beside it: on the row, so that the catalog
snapshot and a chat message's booking read them with the row itself (no extra query or join), and a
clinic admin can still edit one language alone. A clinic in another currency than the clinics sharing a
diagnostic's price sets its own (clinic_diagnostics.price; NULL: the diagnostic's price).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TRANSLATED_COLUMNS = {
    'specialties': ('name_translations',),
    'diagnostic_types': ('name_translations', 'description_translations'),
    'doctors': ('bio_translations', 'experience_translations', 'services_translations'),
}


def translations_rule(column):
    """An object whose keys are the translated languages (English is the column) and whose values are texts."""
    return (
        f"CASE WHEN jsonb_typeof({column}) = 'object' "
        f"THEN ({column} - ARRAY['uk', 'ru', 'pl']) = '{{}}'::jsonb "
        f"AND NOT jsonb_path_exists({column}, '$.* ? (@.type() != \"string\" || !(@ like_regex \"[^[:space:]]\"))') "
        "ELSE false END"
    )


def upgrade():
    with op.batch_alter_table('clinics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), server_default='UAH', nullable=False))
        batch_op.add_column(sa.Column('default_language', sa.String(length=2), server_default='en', nullable=False))
        batch_op.create_check_constraint(op.f('ck_clinics_currency_iso_4217'), "currency ~ '^[A-Z]{3}$'")
        batch_op.create_check_constraint(
            op.f('ck_clinics_default_language_known'), "default_language IN ('uk', 'en', 'ru', 'pl')"
        )
    for table, columns in TRANSLATED_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(
                    column, postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"),
                    nullable=False,
                ))
                batch_op.create_check_constraint(op.f(f'ck_{table}_{column}_valid'), translations_rule(column))
    with op.batch_alter_table('clinic_diagnostics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.create_check_constraint(op.f('ck_clinic_diagnostics_price_not_negative'), 'price >= 0')


def downgrade():
    with op.batch_alter_table('clinic_diagnostics', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_clinic_diagnostics_price_not_negative'), type_='check')
        batch_op.drop_column('price')
    for table, columns in reversed(TRANSLATED_COLUMNS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}_valid'), type_='check')
                batch_op.drop_column(column)
    with op.batch_alter_table('clinics', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_clinics_default_language_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_clinics_currency_iso_4217'), type_='check')
        batch_op.drop_column('default_language')
        batch_op.drop_column('currency')
