"""Inline keyboards of the staff screens. Callback buttons carry data built by staff/callbacks.py only."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from medsync.bot.keyboards import page_navigation
from medsync.bot.staff import callbacks, texts
from medsync.i18n import translated
from medsync.models import Booking, BookingStatus, Clinic
from medsync.services import staff_agenda
from medsync.services.pagination import Page

DAY_FORMAT = "%Y%m%d"


def _callback(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(str(text), callback_data=data)  # str(): a lazy text rendered now


def staff_pages(webapp_url: str) -> InlineKeyboardMarkup:
    """The staff pages of the Mini App (/app/staff/), opened as a Web App: they sign in with the member's initData."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(str(texts.BUTTON_STAFF_PAGES),
                                                       web_app=WebAppInfo(f"{webapp_url}/staff/"))]])


def day_key(day: date) -> str:
    """A day in callback data: YYYYMMDD."""
    return day.strftime(DAY_FORMAT)


def clinic_choice(clinics: list[Clinic], days: list[date]) -> InlineKeyboardMarkup:
    """One button per clinic, each opening its day (named on the button when the clinics' days differ)."""
    dated = len(set(days)) > 1
    return InlineKeyboardMarkup([
        [_callback(f"{clinic.name} · {texts.short_day(day)}" if dated else clinic.name,
                   callbacks.agenda_page.new(clinic.id, day_key(day), 1))]
        for clinic, day in zip(clinics, days, strict=True)
    ])


def agenda(page: Page[Booking], clinic_id: int, day: date, *, several_clinics: bool) -> InlineKeyboardMarkup:
    """A button per visit, ◀ page ▶, the previous and next day, and the clinic choice for several clinics."""
    rows = [[_callback(texts.visit_button(booking), callbacks.visit_card.new(booking.id, page.page))]
            for booking in page.items]
    pages = page_navigation(page, lambda number: callbacks.agenda_page.new(clinic_id, day_key(day), number))
    if pages:
        rows.append(pages)
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    rows.append([
        _callback(f"« {texts.short_day(before)}", callbacks.agenda_page.new(clinic_id, day_key(before), 1)),
        _callback(f"{texts.short_day(after)} »", callbacks.agenda_page.new(clinic_id, day_key(after), 1)),
    ])
    if several_clinics:
        rows.append([_callback(texts.BUTTON_CLINICS, callbacks.agenda_clinics.new(day_key(day)))])
    return InlineKeyboardMarkup(rows)


def visit_card(booking: Booking, page: int, now: datetime) -> InlineKeyboardMarkup:
    """The moves the visit allows now (the booking decides), then Refresh (card-only: a PDF replied to the card is for
    its visit) and Back."""
    rows = []
    moves = [_move(booking, status, page) for status in staff_agenda.CHAT_MOVES if booking.can_be_marked(status, now)]
    if moves:
        rows.append(moves)
    undoes = [_callback(texts.BUTTON_UNDO[status.value], callbacks.visit_undo.new(booking.id, status.value, page))
              for status in staff_agenda.UNDO_TARGETS if booking.is_undo(status) and booking.can_be_marked(status, now)]
    if undoes:
        rows.append(undoes)
    if booking.can_become(BookingStatus.CANCELLED):
        rows.append([_callback(texts.BUTTON_CANCEL, callbacks.visit_cancel.new(booking.id, page))])
    rows.append([
        _callback(texts.BUTTON_REFRESH, callbacks.visit_refresh.new(booking.id, page)),
        _callback(texts.BUTTON_BACK_TO_DAY, back_to_day(booking, page)),
    ])
    return InlineKeyboardMarkup(rows)


def back_to_day(booking: Booking, page: int) -> str:
    """The callback data of the card's way back to its day and page."""
    day = texts.local_time(booking).date()
    return callbacks.agenda_page.new(booking.clinic_id, day_key(day), page)


def _move(booking: Booking, status: BookingStatus, page: int) -> InlineKeyboardButton:
    return _callback(texts.BUTTON_MOVES[status.value], callbacks.visit_move.new(booking.id, status.value, page))


def cancel_reasons(booking: Booking, page: int) -> InlineKeyboardMarkup:
    """A button per common reason, "other" (asked as a reply), and keeping the visit."""
    rows = [[_callback(translated(reason), callbacks.visit_cancel_reason.new(booking.id, code, page))]
            for code, reason in texts.CANCEL_REASONS.items()]
    rows.append([_callback(texts.BUTTON_OTHER_REASON, callbacks.visit_cancel_other.new(booking.id))])
    rows.append([_callback(texts.BUTTON_KEEP, callbacks.visit_card.new(booking.id, page))])
    return InlineKeyboardMarkup(rows)


def undo_reasons(booking: Booking, status: BookingStatus, page: int) -> InlineKeyboardMarkup:
    """A button per reason for taking the mark back, and keeping it."""
    rows = [[_callback(translated(reason), callbacks.visit_undo_reason.new(booking.id, status.value, code, page))]
            for code, reason in texts.UNDO_REASONS.items()]
    rows.append([_callback(texts.BUTTON_KEEP_MARK, callbacks.visit_card.new(booking.id, page))])
    return InlineKeyboardMarkup(rows)


def result_confirmation(upload: str) -> InlineKeyboardMarkup:
    """Send the waiting PDF to the patient named, or not."""
    return InlineKeyboardMarkup([[
        _callback(texts.BUTTON_SEND_RESULT, callbacks.result_send.new(upload)),
        _callback(texts.BUTTON_DONT_SEND, callbacks.result_drop.new(upload)),
    ]])
