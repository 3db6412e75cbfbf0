"""`flask scheduler run` (the process) and `flask scheduler tick` (one sweep)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

scheduler_cli = AppGroup("scheduler", help="The scheduler process and single sweeps.")


def _parse_instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("Give an ISO 8601 instant with its offset, like 2027-01-07T09:00:00+00:00") from None
    if value.tzinfo is None:
        raise click.BadParameter("Give the instant with its UTC offset, like 2027-01-07T09:00:00+00:00")
    return value.astimezone(UTC)


@scheduler_cli.command("tick")
@click.option("--now", "now_text", default=None, help="Sweep as if at this instant (ISO 8601 with offset).")
@click.option("--no-deliver", is_flag=True, help="Fire timers only; leave the outbox for the next tick.")
def tick_command(now_text: str | None, no_deliver: bool) -> None:
    """Run one sweep and print its counts as JSON."""
    from scheduler.tick import tick

    now = _parse_instant(now_text) if now_text else None
    click.echo(json.dumps(tick(now, deliver_messages=not no_deliver)))


@scheduler_cli.command("run")
def run_command() -> None:
    """Run the scheduler process: a sweep every minute, Europe/London, until stopped."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from scheduler.tick import tick

    app = current_app._get_current_object()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s scheduler %(levelname)s %(message)s")

    def sweep() -> None:
        with app.app_context():
            try:
                counts = tick()  # now is read once from the database clock
            except Exception:  # noqa: BLE001 - log and keep the process alive for the next minute
                logging.exception("tick failed")
                return
            logging.info("tick %s", json.dumps(counts))

    # APScheduler's default misfire_grace_time of 1 s silently skips a late run: allow a generous grace.
    scheduler = BlockingScheduler(timezone="Europe/London",
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    scheduler.add_job(sweep, "interval", minutes=1, id="tick", next_run_time=datetime.now(UTC))
    click.echo("Scheduler running: a sweep every minute (Ctrl-C to stop)")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
