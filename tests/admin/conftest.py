"""Staff callers of every kind, for the access rules and the admin API: tokens with a role, members by initData."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from medsync.extensions import db
from medsync.models import Clinic, StaffMember, StaffRole
from medsync.services import staff_tokens
from tests.bot.conftest import post_update
from tests.bot.staff.conftest import make_staff

__all__ = ["make_staff", "post_update"]


@pytest.fixture
def token_headers(app_context: None) -> Callable[..., dict[str, str]]:
    """Authorization headers of a fresh staff token: with a role and clinics, or (no role) a token as before roles."""

    def headers(role: str | None = None, *clinics: Clinic, name: str = "Integration") -> dict[str, str]:
        _, token = staff_tokens.issue(name, role=StaffRole(role) if role else None,
                                      clinic_ids=[clinic.id for clinic in clinics])
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def member_headers(tma_headers: Callable[..., dict[str, str]]) -> Callable[[StaffMember], dict[str, str]]:
    """Authorization headers of a staff member in the Mini App: their account's initData."""

    def headers(member: StaffMember) -> dict[str, str]:
        return tma_headers(member.telegram_id)

    return headers
