"""`flask medsync invite-staff | list-staff | revoke-staff`."""
from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from medsync.extensions import db
from medsync.models import StaffMember

LINK = re.compile(r"https://t\.me/medsync_test_bot\?start=staff-([A-Za-z0-9_-]+)")


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["medsync", *args])


def test_invite_staff_prints_a_one_time_link_and_keeps_only_the_codes_hash(app, telegram_api, make_clinic):
    first, second = make_clinic(name="Podil Clinic"), make_clinic(name="Obolon Clinic")

    result = _run(app, "invite-staff", "--role", "reception", "--clinic", str(first.id), "--clinic", str(second.id),
                  "--name", "Iryna")

    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    code = LINK.fullmatch(link).group(1)  # alone on stdout, the bot's name from getMe
    assert telegram_api.calls("getMe")
    assert "reception at Podil Clinic, Obolon Clinic" in result.stderr and "works once" in result.stderr
    member = db.session.scalar(select(StaffMember))
    assert member.invite_hash == hashlib.sha256(code.encode()).hexdigest()
    assert [clinic.name for clinic in member.clinics] == ["Podil Clinic", "Obolon Clinic"]


def test_a_doctors_invite_names_the_doctor_and_their_clinic_only(app, telegram_api, make_doctor, make_clinic):
    doctor, elsewhere = make_doctor(full_name="Dr. Iryna Koval"), make_clinic()

    missing = _run(app, "invite-staff", "--role", "doctor", "--clinic", str(doctor.clinic_id))
    wrong_clinic = _run(app, "invite-staff", "--role", "doctor", "--doctor", str(doctor.id), "--clinic",
                        str(elsewhere.id))
    fine = _run(app, "invite-staff", "--role", "doctor", "--doctor", str(doctor.id))

    assert missing.exit_code != 0 and "names their doctor" in missing.output
    assert wrong_clinic.exit_code != 0 and f"works at clinic {doctor.clinic_id} only" in wrong_clinic.output
    assert fine.exit_code == 0 and "doctor (Dr. Iryna Koval) at" in fine.stderr


def test_list_staff_shows_each_member_state_and_revoke_staff_ends_it(app, telegram_api, make_clinic, make_staff,
                                                                    make_user):
    clinic = make_clinic(name="Podil Clinic")
    active = make_staff(clinics=[clinic], user=make_user(username="iryna_desk"), name="Iryna")
    _run(app, "invite-staff", "--role", "admin", "--clinic", str(clinic.id), "--name", "Head nurse")

    before = _run(app, "list-staff").stdout.splitlines()
    revoked = _run(app, "revoke-staff", str(active.id))
    again = _run(app, "revoke-staff", str(active.id))
    after = _run(app, "list-staff").stdout.splitlines()

    assert before == [
        f"#{active.id}\tactive\tIryna, reception at Podil Clinic\t@iryna_desk ({active.telegram_id})",
        f"#{active.id + 1}\tinvited\tHead nurse, admin at Podil Clinic\t-",
    ]
    assert revoked.exit_code == 0 and again.exit_code != 0
    assert after[0].startswith(f"#{active.id}\trevoked\t")
