"""Every text the bot and the workers send to patients, in one place."""
from __future__ import annotations

# --- notifications (outbox messages) ---
# HTML parse mode: the caller escapes every value it puts in.

VISIT_DETAILS = "<b>{service}</b>\n🗓 {when}\n🏥 {clinic}, {address}"
CONFIRMATION = "✅ Your visit is booked.\n\n{details}"
RESCHEDULED = "🔁 Your visit has been moved.\n\n{details}"
CANCELLATION = "❌ Your visit is cancelled.\n\n{details}"
REMINDER = "⏰ Reminder: your visit is coming up.\n\n{details}\n\nWill you come?"
REMINDER_CONFIRM_BUTTON = "✅ I'll come"
REMINDER_CANCEL_BUTTON = "❌ Cancel"
RESULT_CAPTION = "📄 Your result is ready: <b>{title}</b>\n{service}, {day}"
