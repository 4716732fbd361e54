"""`flask medsync` commands that talk to Telegram: set-webhook, delete-webhook, setup-bot."""
from __future__ import annotations
