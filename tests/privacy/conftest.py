"""The privacy tests use the bot's, the staff's and the workers' fixtures too."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from medsync.extensions import db
from medsync.models import Result
from medsync.services import results
from tests.bot.conftest import post_update  # noqa: F401
from tests.bot.staff.conftest import make_staff  # noqa: F401
from tests.conftest import PDF
from tests.workers.conftest import worker  # noqa: F401


@pytest.fixture
def stored(make_visit) -> Callable[..., Result]:
    """`stored(content=PDF)`: a result stored (encrypted with the test key) for a visit that took place."""

    def store(content: bytes = PDF) -> Result:
        booking = make_visit()
        result = results.store_result(booking.id, content=content, file_name="blood.pdf", now=booking.starts_at)
        db.session.commit()
        return result

    return store
