"""A result uploaded by staff reaches the patient as a protected document."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from medsync.extensions import db
from medsync.models import BookingEvent, MessageKind, MessageStatus, Result
from tests.conftest import PDF
from tests.workers.conftest import message_rows, wait_for_status

pytestmark = pytest.mark.both_brokers  # the delivery tests run on Redis and on RabbitMQ


def test_a_staff_result_upload_reaches_the_patient_as_a_protected_document(worker, telegram_api, make_visit,
                                                                           upload):
    booking = make_visit()

    response = upload(booking.id, PDF, "blood-test.pdf")

    assert response.status_code == 201
    call = telegram_api.wait_for("sendDocument", chat_id=booking.user_id, failed=False, timeout=10)[0]
    assert call.params["protect_content"].lower() == "true"
    assert "Your result is ready" in call.params["caption"]
    assert call.files["document"] == ("blood-test.pdf", PDF)
    wait_for_status(message_rows(MessageKind.RESULT)[0].id, MessageStatus.SENT)
    result = db.session.get(Result, response.json["id"])
    assert result.telegram_file_id == call.result["document"]["file_id"]
    delivered = db.session.scalar(select(BookingEvent).where(BookingEvent.action == "result_delivered"))
    assert delivered.details["result_id"] == result.id
