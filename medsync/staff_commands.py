"""`flask medsync` commands for staff: tokens and reminder runs."""
from __future__ import annotations
