"""Delivering the outbox: in-app notifications, and email by SMTP (or captured under `make run`), with retries
and backoff, and a dead-letter list after 5 failures. Delivery is at-least-once; the outbox key stops duplicates
being queued, and each email carries the key as its Message-ID so a mail server can drop a resend."""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import current_app

from models import db
from models.outbox_store import capture, deliver_in_app, due_messages, mark_failed, mark_sent
from models.scheduling import OutboxMessage


def send_email(message: OutboxMessage) -> None:
    """Send one email through the configured SMTP server (plain text with an HTML alternative)."""
    config = current_app.config
    email = EmailMessage()
    email["From"] = config.get("MAIL_FROM", "Remedy <remedy@localhost>")
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = f"<{message.key.replace(':', '.')}@remedy>"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    host, port = config.get("MAIL_SERVER", "127.0.0.1"), int(config.get("MAIL_PORT", 25))
    with smtplib.SMTP(host, port, timeout=float(config.get("MAIL_TIMEOUT", 10))) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        smtp.send_message(email)


def deliver(now: datetime, limit: int = 200) -> dict:
    """Deliver what is due; each message is committed on its own so one failure never holds up the rest."""
    sent = failed = dead = 0
    capture_mail = bool(current_app.config.get("MAIL_CAPTURE"))
    for message in due_messages(now, limit):
        try:
            if message.channel == "in_app":
                deliver_in_app(message, now)
            elif capture_mail:
                capture(message, now)
            else:
                send_email(message)
                mark_sent(message, now)
            sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            mark_failed(message, f"{type(exc).__name__}: {exc}", now)
            failed += 1
            dead += message.status == "dead"
        db.session.commit()
    return {"sent": sent, "failed": failed, "dead": dead}
