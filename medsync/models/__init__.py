"""All models, imported so that Alembic and relationships see every table."""
from medsync.models.audit import AuditEntry
from medsync.models.booking import (
    ACTIVE_STATUSES, ALLOWED_TRANSITIONS, PATIENT_FIELD_LIMITS, Actor, Booking, BookingEvent, BookingStatus, Result,
)
from medsync.models.catalog import (
    ClinicDiagnostic, DiagnosticType, Doctor, DoctorAbsence, DoctorRating, Photo, Specialty,
)
from medsync.models.data_export import DataExport, ExportStatus
from medsync.models.clinic import Clinic, ClinicClosure, WorkingBreak, WorkingHours
from medsync.models.patient import Patient
from medsync.models.outbox import MessageKind, MessageStatus, OutboxMessage
from medsync.models.reminder_run import ReminderRun
from medsync.models.schedule import DayOverride, OverrideInterval, Rota, RotaInterval
from medsync.models.staff import StaffMember, StaffRole, StaffToken, staff_clinics, staff_token_clinics
from medsync.models.staff_group import ClinicStaffGroup, GroupEventKind, StaffGroupEvent
from medsync.models.user import User

__all__ = [
    "ACTIVE_STATUSES", "ALLOWED_TRANSITIONS", "Actor", "AuditEntry", "Booking", "BookingEvent", "BookingStatus",
    "Clinic", "ClinicClosure", "ClinicDiagnostic", "ClinicStaffGroup", "DataExport", "DiagnosticType", "Doctor",
    "DoctorAbsence", "DoctorRating", "ExportStatus", "GroupEventKind", "MessageKind", "MessageStatus", "OutboxMessage",
    "PATIENT_FIELD_LIMITS", "Patient", "Photo", "ReminderRun", "Result",
    "Specialty", "StaffGroupEvent", "StaffMember", "StaffRole", "StaffToken", "User", "WorkingBreak",
    "WorkingHours", "staff_clinics", "staff_token_clinics",
    "DayOverride", "OverrideInterval", "Rota", "RotaInterval",
]
