"""Celery tasks. Imported by the worker through the `imports` setting in medsync.celery_config."""
from workers import delivery, maintenance

__all__ = ["delivery", "maintenance"]
