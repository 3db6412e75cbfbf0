"""`flask scheduler run` (the process), `flask scheduler tick` (one sweep) and `flask scheduler deliver` (a
delivery worker)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

scheduler_cli = AppGroup("scheduler", help="The scheduler process and single sweeps.")


def log_to_console(process: str, stream=None) -> None:
    """The long-running processes' log, on standard error (or `stream`): their own work at INFO (each tick's
    counts, each delivery pass, APScheduler starting and running the tick), and only warnings from `transitions`,
    the state machines' library, which logs every callback it runs at INFO: two lines for every state a fired
    record leaves or enters, so an operator's log of one tick was mostly "Finished processing state ... callbacks".
    As `logging.basicConfig`, it leaves a log already set up alone."""
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {process} %(levelname)s %(message)s",
                        stream=stream)
    logging.getLogger("transitions").setLevel(logging.WARNING)


def _frozen() -> int:
    """Freeze what this long-running process made while starting (models.runtime.freeze_start_up) and log it."""
    from models.runtime import freeze_start_up

    frozen = freeze_start_up()
    logging.info("froze %d objects made at start-up", frozen)
    return frozen


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
    click.echo(json.dumps(tick(now, deliver_messages=False if no_deliver else None)))


@scheduler_cli.command("run")
def run_command() -> None:
    """Run the scheduler process: a sweep every minute, Europe/London, until stopped."""
    import signal

    from apscheduler.schedulers.blocking import BlockingScheduler

    from scheduler.lock import keep_between_ticks
    from scheduler.tick import tick

    app = current_app._get_current_object()
    log_to_console("scheduler")
    # This process keeps the tick lock from its first tick until it stops: a standby started beside it waits its
    # turn, and an idle tick pays no round trip for the lock.
    lock = keep_between_ticks(app, app.config["SCHEDULER_LOCK_DIR"])

    delivering = app.config.get("DELIVERY_WORKERS") != "separate"  # tick() reads the same setting
    ticked: list[int] = []

    def sweep() -> None:
        with app.app_context():
            try:
                counts = tick()  # now is read once from the database clock
            except Exception:  # noqa: BLE001 - log and keep the process alive for the next minute
                logging.exception("tick failed")
                return
            logging.info("tick %s", json.dumps(counts))
        if not ticked:  # the first tick has loaded what every tick uses (the ORM's configuration, the rulebooks)
            ticked.append(_frozen())

    # APScheduler's default misfire_grace_time of 1 s silently skips a late run: allow a generous grace.
    scheduler = BlockingScheduler(timezone="Europe/London",
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    scheduler.add_job(sweep, "interval", minutes=1, id="tick", next_run_time=datetime.now(UTC))
    click.echo("Scheduler running: a sweep every minute (Ctrl-C to stop)"
               + ("" if delivering else "; delivery left to `flask scheduler deliver` workers"))
    # A service manager stops the process with SIGTERM: end the way Ctrl-C does, letting the tick lock go for a
    # standby to take at its next tick.
    stopped_by = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        signal.signal(signal.SIGTERM, stopped_by)
        with app.app_context():
            lock.release()


@scheduler_cli.command("deliver")
@click.option("--once", is_flag=True, help="Deliver everything due, print the counts as JSON, then exit.")
@click.option("--every", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait after a pass that found nothing to send.")
def deliver_command(once: bool, every: float) -> None:
    """Run a delivery worker: send the outbox until stopped. Run as many as the mail relay allows, beside
    `scheduler run` with REMEDY_DELIVERY_WORKERS=separate; no two send the same message."""
    import signal
    import time

    from scheduler.delivery import deliver
    from scheduler.tick import database_now

    app = current_app._get_current_object()
    log_to_console("delivery")
    # A service manager stops a worker with SIGTERM: end the way Ctrl-C does (a batch in flight is rolled back
    # and sent again by the next worker, never lost).
    stopped_by = signal.signal(signal.SIGTERM, signal.default_int_handler)
    totals = {"sent": 0, "failed": 0, "dead": 0}
    frozen = 0
    if not once:
        click.echo(f"Delivery worker running: the outbox every {every:g} s when idle (Ctrl-C to stop)")
    try:
        while True:
            with app.app_context():
                try:
                    counts = deliver(database_now())
                except Exception:  # noqa: BLE001 - log and keep the worker alive for the next pass
                    if once:
                        raise
                    logging.exception("delivery failed")
                    counts = {"sent": 0, "failed": 0, "dead": 0}
            if not frozen and not once:
                frozen = _frozen()  # after the first pass, as the scheduler process after its first tick
            for name, n in counts.items():
                totals[name] += n
            busy = counts["sent"] or counts["failed"]
            if busy and not once:
                logging.info("delivered %s", json.dumps(counts))
            if once and not busy:
                break
            if not busy:
                time.sleep(every)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, stopped_by)
    if once:
        click.echo(json.dumps(totals))
