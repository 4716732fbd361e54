"""Staff tokens for the staff API tests."""
from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from medsync.extensions import db
from medsync.services import staff_tokens

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def staff_token(app_context: None) -> str:
    """A live staff token (the clear text, as the CLI prints it once)."""
    _, token = staff_tokens.issue("Reception desk")
    db.session.commit()
    return token


@pytest.fixture
def staff_headers(staff_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token}"}


@pytest.fixture
def upload(client, staff_headers) -> Callable[..., object]:
    """POST a file as the staff result upload form does."""

    def post(booking_id: int, content: bytes = PDF, name: str = "mri.pdf"):
        return client.post(f"/api/v1/staff/bookings/{booking_id}/results", headers=staff_headers,
                           data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")

    return post
