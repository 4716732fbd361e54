"""Celery tasks. Imported by the worker through the `imports` setting in medsync.celery_config."""
from workers import delivery, maintenance, privacy, staff_digests, staff_reminders

__all__ = ["delivery", "maintenance", "privacy", "staff_digests", "staff_reminders"]
