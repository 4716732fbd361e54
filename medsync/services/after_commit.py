"""What a transaction hands over once it commits (outbox rows to enqueue, a catalog change to announce),
kept savepoint-safe, and the one registry of the session hooks that note and hand it over.

Each value is tagged with the (sub)transaction it was added in. A SAVEPOINT that rolls back drops
only what was added inside it; a SAVEPOINT released hands nothing over; the outermost commit hands
everything over; the outermost rollback drops it all. (SQLAlchemy's `after_rollback` also fires for a rolled-back SAVEPOINT, so a listener
that simply forgot everything there would lose the enclosing transaction's work.)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

_KEY = "medsync_after_commit"
_UNDO: dict[str, Callable[[list[Any]], None]] = {}  # topic → what undoes its values when they roll back (on_rollback)


class Hooks:
    """The session hooks of one session factory (the app's `db.session`), installed by `create_app` through each
    module's `register_hooks` — never by importing a module — and each once, however many apps are created: the
    factory is shared by every app of the process, and SQLAlchemy would call a listener added twice twice.
    Sessions made elsewhere (a plain `Session`) get none. The savepoint bookkeeping below comes first."""

    def __init__(self, sessions: scoped_session[Session]) -> None:
        self.sessions = sessions
        self.on("after_soft_rollback", _drop_rolled_back)
        self.on("after_commit", _keep_what_committed)
        self.on("after_transaction_end", _forget_at_the_end)

    def on(self, event_name: str, listener: Callable[..., Any]) -> None:
        """Call `listener` on this session event (`after_flush`, `do_orm_execute`, `after_commit`…)."""
        if not event.contains(self.sessions, event_name, listener):
            event.listen(self.sessions, event_name, listener)

    def on_rollback(self, topic: str, undo: Callable[[list[Any]], None]) -> None:
        """Hand `undo` the values of `topic` added in a (sub)transaction that rolls back: what it did outside the
        database (a file written) is undone with it. Committed, they are simply forgotten."""
        _UNDO[topic] = undo


def add(session: Session, topic: str, value: Any) -> None:
    """Hand `value` to `topic`'s taker once the outermost transaction commits (unless its savepoint rolls back)."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_KEY, []).append((transaction, topic, value))


def take(session: Session, topic: str) -> list[Any]:
    """The values of `topic` added in the transaction that just committed; call from `after_commit`.

    SQLAlchemy fires `after_commit` when a SAVEPOINT is released as well: then nothing is handed over yet (the
    rows are not committed, and a worker given them now would not find them); they wait for the outermost commit.
    """
    if session.get_nested_transaction() is not None:
        return []
    entries = session.info.get(_KEY)
    if not entries:
        return []
    session.info[_KEY] = [entry for entry in entries if entry[1] != topic]
    return [value for _, entry_topic, value in entries if entry_topic == topic]


def pending(session: Session, topic: str) -> bool:
    """Has the open transaction added anything to `topic` (not yet committed)?"""
    return any(entry[1] == topic for entry in session.info.get(_KEY, ()))


def _inside(transaction: SessionTransaction | None, rolled_back: SessionTransaction) -> bool:
    """Was `transaction` the rolled-back one or opened inside it?"""
    if transaction is None:
        return rolled_back.parent is None
    while transaction is not None:
        if transaction is rolled_back:
            return True
        transaction = transaction.parent
    return False


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    entries = session.info.get(_KEY)
    if entries:
        session.info[_KEY] = [entry for entry in entries if not _inside(entry[0], previous_transaction)]
        _undo([entry for entry in entries if _inside(entry[0], previous_transaction)])


def _keep_what_committed(session: Session) -> None:
    """The outermost commit: what `on_rollback` would undo is kept for good."""
    entries = session.info.get(_KEY)
    if entries and session.get_nested_transaction() is None:
        session.info[_KEY] = [entry for entry in entries if entry[1] not in _UNDO]


def _undo(entries: list[tuple[Any, str, Any]]) -> None:
    for topic, undo in _UNDO.items():
        values = [value for _, entry_topic, value in entries if entry_topic == topic]
        if values:
            undo(values)


def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    """After the outermost transaction (its `after_commit` takers have run): nothing outlives it. What it leaves to
    undo did not commit (an outermost rollback ends the transaction before `after_soft_rollback` fires): undone."""
    if transaction.parent is None:
        _undo(session.info.pop(_KEY, None) or [])
