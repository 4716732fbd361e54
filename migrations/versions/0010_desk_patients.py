"""patients: bookings belong to a patient, who may have no Telegram; front-desk notes, confirmations, undone marks

Revision ID: 0010_desk
Revises: 0009_admin
Create Date: 2026-12-08 18:00:00

A booking's owner becomes a patient (name, phone, optional e-mail) with or without a Telegram account: every
existing booking gets the patient of its Telegram user, made from the details given at that user's latest booking
(one patient per user), the phone in E.164 where it can be read in the clinic's country, as written where not. The
Telegram account stays on the booking too (`user_id`, now NULL for a booking made by phone), so every ownership
check and every message keeps reading it. A patient cannot hold two overlapping visits: the exclusion constraint
moves from the user to the patient. Patients are found by parts of their name or phone through a pg_trgm index.

Clinics get their country (ISO 3166), the default region of the phones written there: the country of the clinic's
time zone. Bookings get the front desk's note, when the patient said "I'll come" (from their audit events), and
when staff last took a mark back.
"""
from importlib import resources

from alembic import op
import phonenumbers
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010_desk'
down_revision = '0009_admin'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('booked', 'arrived', 'fulfilled')"
DEFAULT_COUNTRY = 'UA'
FORWARD = "('booked', 'arrived'), ('booked', 'cancelled'), ('booked', 'noshow'), ('arrived', 'fulfilled')"
UNDO = "('arrived', 'booked'), ('noshow', 'booked'), ('noshow', 'arrived')"

# The lifecycle stays the database's rule: forward only, except a mark staff take back (a late patient), which
# stamps `undone_at` in the same UPDATE; nothing else moves a booking backwards or revives a cancelled one.
STATUS_FUNCTION = """
CREATE OR REPLACE FUNCTION booking_status_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status OR (OLD.status, NEW.status) IN ({forward}) {undo} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'booking % cannot move from % to %', OLD.id, OLD.status, NEW.status
        USING ERRCODE = 'check_violation', CONSTRAINT = 'booking_status_forward_only';
END $$
"""


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(STATUS_FUNCTION.format(forward=FORWARD, undo=(
        f"OR ((OLD.status, NEW.status) IN ({UNDO}) AND NEW.undone_at IS DISTINCT FROM OLD.undone_at)")))
    _clinic_countries()
    op.create_table(
        'patients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('first_name', sa.String(length=100), nullable=False),
        sa.Column('last_name', sa.String(length=100), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('user_id', sa.BigInteger(), nullable=True),
        sa.Column('search', sa.Text(), sa.Computed(
            "lower((first_name::text || ' ' || last_name::text) || ' ' || phone::text)", persisted=True
        ), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.telegram_id'], name=op.f('fk_patients_user_id_users'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
        sa.UniqueConstraint('user_id', name=op.f('uq_patients_user_id')),
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('uq_patients_phone_without_telegram', ['phone'], unique=True,
                              postgresql_where=sa.text('user_id IS NULL'))
        batch_op.create_index('ix_patients_search', ['search'], unique=False, postgresql_using='gin',
                              postgresql_ops={'search': 'gin_trgm_ops'})
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('patient_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f('ck_bookings_note_length'), 'char_length(note) <= 2000')
    _patients_of_users()
    op.execute("""
        UPDATE bookings SET confirmed_at = confirmed.at
        FROM (SELECT booking_id, min(created_at) AS at FROM booking_events
              WHERE action = 'attendance_confirmed' GROUP BY booking_id) AS confirmed
        WHERE confirmed.booking_id = bookings.id
    """)
    op.drop_constraint('ex_bookings_patient_overlap', 'bookings')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.alter_column('patient_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('user_id', existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_foreign_key(op.f('fk_bookings_patient_id_patients'), 'patients', ['patient_id'], ['id'],
                                    ondelete='RESTRICT')
        batch_op.create_index('ix_bookings_patient_starts', ['patient_id', 'starts_at'], unique=False,
                              postgresql_include=['clinic_id'])
    op.execute("ALTER TABLE bookings ADD CONSTRAINT ex_bookings_patient_overlap EXCLUDE USING gist "
               f"(patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE ({ACTIVE})")
    # The Telegram account's active visits by time, as its constraint indexed them: its free slots leave them out.
    op.execute("CREATE INDEX ix_bookings_user_active_time ON bookings USING gist "
               f"(user_id, tstzrange(starts_at, ends_at)) WHERE {ACTIVE} AND user_id IS NOT NULL")


def downgrade():
    bind = op.get_bind()
    if bind.scalar(sa.text("SELECT EXISTS (SELECT FROM bookings WHERE user_id IS NULL)")):
        raise RuntimeError("bookings made by phone have no Telegram user to belong to before 0007; not downgrading")
    op.execute(STATUS_FUNCTION.format(forward=FORWARD, undo=""))
    op.drop_constraint('ex_bookings_patient_overlap', 'bookings')
    op.drop_index('ix_bookings_user_active_time', table_name='bookings')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_patient_starts')
        batch_op.drop_constraint(op.f('fk_bookings_patient_id_patients'), type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_constraint(op.f('ck_bookings_note_length'), type_='check')
        batch_op.drop_column('undone_at')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('note')
        batch_op.drop_column('patient_id')
    op.execute("ALTER TABLE bookings ADD CONSTRAINT ex_bookings_patient_overlap EXCLUDE USING gist "
               f"(user_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE ({ACTIVE})")
    op.drop_table('patients')
    with op.batch_alter_table('clinics', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_clinics_country_iso_3166'), type_='check')
        batch_op.drop_column('country')
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")


def _clinic_countries():
    """Each clinic's country: its time zone's (tzdata's zone.tab), DEFAULT_COUNTRY for a zone of no country."""
    with op.batch_alter_table('clinics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
    bind = op.get_bind()
    countries = _zone_countries()
    for clinic_id, zone in bind.execute(sa.text("SELECT id, timezone FROM clinics")).all():
        bind.execute(sa.text("UPDATE clinics SET country = :country WHERE id = :id"),
                     {"country": countries.get(zone, DEFAULT_COUNTRY), "id": clinic_id})
    with op.batch_alter_table('clinics', schema=None) as batch_op:
        batch_op.alter_column('country', existing_type=sa.String(length=2), nullable=False)
        batch_op.create_check_constraint(op.f('ck_clinics_country_iso_3166'), "country ~ '^[A-Z]{2}$'")


def _zone_countries():
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows}


def _patients_of_users():
    """One patient per Telegram user who booked, from the details of their latest booking; every booking theirs."""
    bind = op.get_bind()
    bind.execute(sa.text("""
        INSERT INTO patients (user_id, first_name, last_name, phone, email)
        SELECT DISTINCT ON (user_id) user_id, patient_first_name, patient_last_name, patient_phone, patient_email
        FROM bookings ORDER BY user_id, id DESC
    """))
    # The phones in E.164 where they can be read, in the country of the clinic of that latest booking.
    written = bind.execute(sa.text("""
        SELECT DISTINCT ON (bookings.user_id) patients.id, patients.phone, clinics.country
        FROM patients JOIN bookings ON bookings.user_id = patients.user_id JOIN clinics ON clinics.id = bookings.clinic_id
        ORDER BY bookings.user_id, bookings.id DESC
    """)).all()
    read = [{"id": patient_id, "phone": e164} for patient_id, phone, country in written
            if (e164 := _e164(phone, country)) is not None and e164 != phone]
    if read:
        bind.execute(sa.text("UPDATE patients SET phone = :phone WHERE id = :id"), read)
    bind.execute(sa.text(
        "UPDATE bookings SET patient_id = patients.id FROM patients WHERE patients.user_id = bookings.user_id"
    ))


def _e164(phone, country):
    try:
        number = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
