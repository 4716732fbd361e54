"""Celery tasks. Imported by the worker through the `imports` setting in medsync.celery_config."""
from workers import delivery, maintenance, privacy, reminder_runs, staff_digests

__all__ = ["delivery", "maintenance", "privacy", "reminder_runs", "staff_digests"]
