"""Staff members' rules are the database's too: known roles, a doctor's account names a doctor, one active account."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from medsync import clock
from medsync.extensions import db
from medsync.models import StaffMember


@pytest.mark.parametrize("fields", [
    {"role": "nurse"},
    {"role": "doctor"},                                    # a doctor's account without its doctor
    {"role": "reception", "telegram_id": "user"},          # bound without a time of binding
], ids=["unknown role", "doctor without doctor", "account without bound_at"])
def test_the_database_refuses_an_inconsistent_staff_member(app_context, make_user, fields):
    values = {"role": "reception", "invite_hash": "0" * 64, "invite_expires_at": clock.now() + timedelta(days=1),
              **fields}
    if values.get("telegram_id") == "user":
        values["telegram_id"] = make_user().telegram_id
    db.session.add(StaffMember(**values))

    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_one_telegram_account_is_at_most_one_active_member(app_context, make_user):
    user = make_user()
    now = clock.now()
    for number in range(2):
        db.session.add(StaffMember(role="reception", invite_hash=f"{number}" * 64, invite_expires_at=now,
                                   telegram_id=user.telegram_id, bound_at=now))

    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
