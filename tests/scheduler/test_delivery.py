"""Delivery: real email to an SMTP server on 127.0.0.1, retries with backoff, and the dead-letter list."""

from __future__ import annotations

import socket
from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from models import db
from models.outbox_store import dead_letters, retry
from models.scheduling import OutboxMessage
from scheduler.tick import tick
from tests.scheduler.test_tick import at, kent_warning, manager  # noqa: F401  (fixture)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    # aiosmtpd's Controller connects to itself to confirm start-up, so port 0 does not work: pick one first.
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_CAPTURE=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="remedy@council.example")
    yield inbox
    controller.stop()


def test_reminders_arrive_by_email_in_text_and_html_once(manager, smtp):  # noqa: F811
    kent_warning(manager, date(2026, 12, 18))
    result = tick(at("2026-12-29 09:00"))
    assert result["delivered"] == {"sent": 4, "failed": 0, "dead": 0}
    assert sorted(e.rcpt_tos[0] for e in smtp.messages) == ["provider.manager@brightwater.example",
                                                             "provider.user@brightwater.example"]
    raw = smtp.messages[0].content.decode()
    assert "Subject: Reminder: Action plan agreed by both parties" in raw
    assert "text/plain" in raw and "text/html" in raw and "Message-ID: <" in raw
    tick(at("2026-12-29 09:01"))
    assert len(smtp.messages) == 2


def test_failures_back_off_then_go_to_the_dead_letter_list(manager, app):  # noqa: F811
    app.config.update(MAIL_CAPTURE=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    kent_warning(manager, date(2026, 12, 18))
    now = at("2026-12-29 09:00")
    tick(now)
    emails = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")))
    assert all(m.status == "pending" and m.attempts == 1 for m in emails)
    assert emails[0].next_attempt_at == now + timedelta(minutes=1)
    assert "ConnectionRefusedError" in emails[0].last_error
    tick(now + timedelta(seconds=30))  # too early for the retry
    db.session.expire_all()
    assert emails[0].attempts == 1
    for minutes in (1, 3, 7, 15):
        tick(now + timedelta(minutes=minutes))
    db.session.expire_all()
    assert [m.status for m in emails] == ["dead", "dead"] and emails[0].attempts == 5
    assert {m.id for m in dead_letters(manager.council_id)} == {m.id for m in emails}
    # An administrator retries once the mail server is back.
    inbox = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            inbox.append(envelope)
            return "250 OK"

    port = app.config["MAIL_PORT"]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        for message in emails:
            retry(manager.council_id, message.id, now + timedelta(hours=1))
        db.session.commit()
        assert tick(now + timedelta(hours=1))["delivered"]["sent"] == 2
    finally:
        controller.stop()
    assert len(inbox) == 2


def backlog(manager, count: int, now) -> None:  # noqa: F811
    """An outage's worth of email waiting in the outbox."""
    for n in range(count):
        db.session.add(OutboxMessage(council_id=manager.council_id, key=f"backlog:{n}", channel="email",
                                     user_id=manager.id, to_address=manager.email, subject=f"Backlog {n}",
                                     body_text="A reminder held up by an outage", status="pending", attempts=0,
                                     next_attempt_at=now, created_at=now))
    db.session.commit()


def test_a_backlog_drains_in_one_tick_in_batches_on_one_connection(manager, smtp):  # noqa: F811
    now = at("2026-12-29 09:00")
    backlog(manager, 750, now)
    result = tick(now)
    assert result["delivered"] == {"sent": 750, "failed": 0, "dead": 0}
    assert len(smtp.messages) == 750
    assert sorted(int(e.content.decode().split("Subject: Backlog ")[1].split()[0]) for e in smtp.messages) == list(
        range(750))
    pending = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")).all()
    assert pending == []


def test_delivery_stops_at_its_time_budget_and_the_next_tick_carries_on(app, manager, smtp):  # noqa: F811
    from scheduler.delivery import deliver

    now = at("2026-12-29 09:00")
    backlog(manager, 1000, now)
    first = deliver(now, batch=50, budget_seconds=0.3)
    assert 0 < first["sent"] < 1000
    app.config["DELIVERY_BUDGET_SECONDS"] = 60
    second = tick(now)["delivered"]
    assert first["sent"] + second["sent"] == 1000 and len(smtp.messages) == 1000
