"""Delivering the outbox: in-app notifications, and email by SMTP (or captured under `make run`), with retries
and backoff, and a dead-letter list after 5 failures. Delivery is at-least-once; the outbox key stops duplicates
being queued, and each email carries the key as its Message-ID so a mail server can drop a resend."""

from __future__ import annotations

import smtplib
import time
from datetime import datetime
from email.message import EmailMessage

from flask import current_app

from models import db
from models.outbox_store import capture, claim_messages, deliver_in_app, mark_failed, mark_sent
from models.scheduling import OutboxMessage
from scheduler.lock import delivery_turn


def _email(message: OutboxMessage) -> EmailMessage:
    """One outbox message as an email (plain text with an HTML alternative), its key as the Message-ID."""
    email = EmailMessage()
    email["From"] = current_app.config.get("MAIL_FROM", "Remedy <remedy@localhost>")
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = f"<{message.key.replace(':', '.')}@remedy>"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


class Mailer:
    """One SMTP connection kept open across a backlog (a new connection per email would cap delivery at a few a
    second), opened on the first email and opened again after a failure."""

    def __init__(self):
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: OutboxMessage) -> None:
        """Send one email through the configured SMTP server."""
        if self._smtp is None:
            config = current_app.config
            host, port = config.get("MAIL_SERVER", "127.0.0.1"), int(config.get("MAIL_PORT", 25))
            smtp = smtplib.SMTP(host, port, timeout=float(config.get("MAIL_TIMEOUT", 10)))
            try:
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            except (OSError, smtplib.SMTPException):
                smtp.close()
                raise
            self._smtp = smtp
        try:
            self._smtp.send_message(_email(message))
        except (OSError, smtplib.SMTPException):
            self.close()  # the connection may be half-broken: the next email starts a fresh one
            raise

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


BATCH = 20  # messages claimed per transaction: a worker that dies mid-batch leaves at most this many to resend


def deliver(now: datetime, batch: int = BATCH, budget_seconds: float | None = None) -> dict:
    """Deliver everything due, batch after batch, until none is left or the time budget (DELIVERY_BUDGET_SECONDS,
    most of the minute between ticks) is spent. Safe to run in several processes at once (`flask scheduler
    deliver`): each batch is claimed (models.outbox_store.claim_messages, under scheduler.lock.delivery_turn),
    sent, marked and committed together, so no two workers send one message, and a worker that dies leaves its
    batch unmarked for the next one (at-least-once; the Message-ID lets a relay drop the resend). A failed send is
    recorded for a retry with backoff, never raised, so one failure never holds up the rest."""
    if budget_seconds is None:
        budget_seconds = float(current_app.config.get("DELIVERY_BUDGET_SECONDS", 45))
    deadline = time.monotonic() + budget_seconds
    lock_dir = current_app.config["SCHEDULER_LOCK_DIR"]
    counts = {"sent": 0, "failed": 0, "dead": 0}
    mailer = Mailer()
    # Where the last batch ended: a message that failed in this run is not due again yet, but never pick anything
    # twice (its place is taken before a failure moves its next attempt on).
    after: tuple[datetime, int] | None = None
    try:
        while time.monotonic() < deadline:
            with delivery_turn(lock_dir):
                try:
                    messages = claim_messages(now, batch, after=after)
                    for message in messages:
                        after = (message.next_attempt_at, message.id)
                        _deliver_one(message, mailer, now, counts)
                        if time.monotonic() >= deadline:
                            break  # the rest of the batch is released unmarked by the commit
                    if messages:
                        db.session.commit()
                    # With nothing claimed, nothing is held: the caller's own commit (the tick's record) or the
                    # end of its app context ends the transaction, one round trip fewer an idle tick.
                except BaseException:
                    db.session.rollback()
                    raise
            if len(messages) < batch:
                break
    finally:
        mailer.close()
    return counts


def _deliver_one(message: OutboxMessage, mailer: Mailer, now: datetime, counts: dict) -> None:
    """Send or file one claimed message and mark it; a failed send is marked for a retry (or the dead letters)."""
    try:
        if message.channel == "in_app":
            deliver_in_app(message, now)
        elif current_app.config.get("MAIL_CAPTURE"):
            capture(message, now)
        else:
            mailer.send(message)
            mark_sent(message, now)
        counts["sent"] += 1
    except (OSError, smtplib.SMTPException) as exc:
        mark_failed(message, f"{type(exc).__name__}: {exc}", now)
        counts["failed"] += 1
        counts["dead"] += message.status == "dead"
