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
from models.outbox_store import capture, deliver_in_app, due_messages, mark_failed, mark_sent
from models.scheduling import OutboxMessage


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


BATCH = 200


def deliver(now: datetime, batch: int = BATCH, budget_seconds: float | None = None) -> dict:
    """Deliver everything due, batch after batch, until none is left or the time budget (DELIVERY_BUDGET_SECONDS,
    most of the minute between ticks) is spent; each message is committed on its own so one failure never holds up
    the rest."""
    if budget_seconds is None:
        budget_seconds = float(current_app.config.get("DELIVERY_BUDGET_SECONDS", 45))
    deadline = time.monotonic() + budget_seconds
    sent = failed = dead = 0
    capture_mail = bool(current_app.config.get("MAIL_CAPTURE"))
    mailer = Mailer()
    after_id = 0
    try:
        while time.monotonic() < deadline:
            # after_id: a message that failed in this tick is not due again yet, but never pick anything twice.
            messages = due_messages(now, batch, after_id=after_id)
            if not messages:
                break
            for message in messages:
                after_id = message.id
                try:
                    if message.channel == "in_app":
                        deliver_in_app(message, now)
                    elif capture_mail:
                        capture(message, now)
                    else:
                        mailer.send(message)
                        mark_sent(message, now)
                    sent += 1
                except (OSError, smtplib.SMTPException) as exc:
                    mark_failed(message, f"{type(exc).__name__}: {exc}", now)
                    failed += 1
                    dead += message.status == "dead"
                db.session.commit()
                if time.monotonic() >= deadline:
                    break
    finally:
        mailer.close()
    return {"sent": sent, "failed": failed, "dead": dead}
