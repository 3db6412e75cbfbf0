"""Command-line interface (`flask --app app ...`): working days, demo data, users and rulebooks."""

from __future__ import annotations

import getpass
import secrets
import sys
from datetime import UTC, date, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, ProgrammingError

from models import db
from workflows.access import Role
from workflows.calendar import REGIONS, WorkingCalendar, calendar_for
from workflows.errors import ValidationProblem

workdays_cli = AppGroup("workdays", help="Count working days.")
demo_cli = AppGroup("demo", help="Demo data.")
users_cli = AppGroup("users", help="People and API tokens.")
rulebooks_cli = AppGroup("rulebooks", help="Contract rulebooks.")
workflows_cli = AppGroup("workflows", help="The state machines.")

DIAGRAMS_START, DIAGRAMS_END = "<!-- diagrams:start -->", "<!-- diagrams:end -->"


def diagrams_markdown() -> str:
    """Every machine as a Mermaid state diagram, generated from its transition table."""
    from workflows.registry import WORKFLOWS

    parts = []
    for name, workflow in WORKFLOWS.items():
        parts.append(f"### {name.replace('_', ' ').capitalize()}\n\n```mermaid\n{workflow.mermaid()}```\n")
    return "\n".join(parts)


def readme_with_diagrams(readme: str) -> str:
    """The README with its diagrams section replaced by freshly generated diagrams."""
    start, end = readme.index(DIAGRAMS_START), readme.index(DIAGRAMS_END)
    return readme[:start + len(DIAGRAMS_START)] + "\n" + diagrams_markdown() + readme[end:]


def _iso_date(_ctx, _param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from None


def _calendar(region: str) -> WorkingCalendar:
    """The first council's calendar (with its closure days) when there is a database, else the bank holidays."""
    from models.calendar_store import working_calendar
    from models.council_store import first_council

    try:
        council = first_council()
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        council = None
    return working_calendar(council.id, region) if council else calendar_for(region)


region_option = click.option("--region", type=click.Choice(REGIONS), default="england-and-wales", show_default=True)


@workdays_cli.command("add")
@click.argument("start", callback=_iso_date)
@click.argument("n", type=int)
@region_option
@click.option("--explain", is_flag=True, help="Also print each skipped date and why.")
def workdays_add(start: date, n: int, region: str, explain: bool) -> None:
    """Print the date N working days after START (the start day never counts)."""
    explanation = _calendar(region).explain_add_working_days(start, n)
    click.echo(explanation.result.isoformat())
    if explain:
        click.echo(explanation.rule)
        for skipped in explanation.skipped:
            click.echo(f"{skipped.date.isoformat()} {skipped.date:%a}: {skipped.reason}")


@workdays_cli.command("between")
@click.argument("a", callback=_iso_date)
@click.argument("b", callback=_iso_date)
@region_option
def workdays_between(a: date, b: date, region: str) -> None:
    """Print the number of working days after A up to and including B."""
    click.echo(_calendar(region).working_days_between(a, b))


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no council yet.")
def demo_load(if_empty: bool) -> None:
    """Create the demo council, providers, contracts and one user per role (safe to run again)."""
    from models.council_store import first_council
    from models.demo import DEMO_CONTRACTS, load_demo

    if if_empty and first_council() is not None:
        click.echo("The database already has data: demo data not loaded. Sign in with your existing accounts.")
        return
    sign_ins = load_demo(with_cases=True)
    db.session.commit()
    click.echo("Demo data loaded: one provider and contract for each seed contract:")
    for spec in DEMO_CONTRACTS:
        click.echo(f"  {spec.reference:<14} {spec.provider_name} ({spec.seed})")
    click.echo("\nSign in at http://127.0.0.1:5000/sign-in as any of these (password shown):")
    for email, password, role in sign_ins:
        click.echo(f"  {role.label:<22} {email:<40} {password}")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default=None, help="Full name (defaults to the part of the email before the @).")
@click.option("--provider", "provider_ref", default=None, help="Provider reference, for provider roles.")
@click.option("--password", default=None, help="Password (prompted for if omitted; 12 characters or more).")
def users_create(email: str, role: str, name: str | None, provider_ref: str | None, password: str | None) -> None:
    """Create a user."""
    from models.council_store import first_council
    from models.user_store import create_user

    council = first_council()
    if council is None:
        raise click.ClickException("There is no council yet: run 'flask --app app demo load' first")
    if password is None:
        if not sys.stdin.isatty():
            password = secrets.token_urlsafe(12)
            click.echo(f"Generated password: {password}")
        else:
            password = getpass.getpass("Password (12 characters or more): ")
    try:
        user = create_user(council_id=council.id, email=email, name=name or email.split("@")[0], role=Role(role),
                           password=password, provider_reference=provider_ref)
    except ValidationProblem as problem:
        db.session.rollback()
        raise click.ClickException(str(problem)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.label})")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="Command line", help="What the token is for.")
def users_token(email: str, name: str) -> None:
    """Print a new API token for that user (shown once)."""
    from models.user_store import find_user_by_email, issue_token

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no user with the email address {email}")
    _row, plain = issue_token(user, name, datetime.now(UTC))
    db.session.commit()
    click.echo(plain)


@rulebooks_cli.command("list")
def rulebooks_list() -> None:
    """One line per rulebook: id, a tab, and its title."""
    for book in current_app.extensions["rulebooks"].values():
        click.echo(f"{book.id}\t{book.title}")


@workflows_cli.command("diagram")
@click.option("--output", default="docs/state-diagrams.md", show_default=True, help="Where to write the diagrams.")
@click.option("--readme", default="README.md", show_default=True, help="README whose diagrams section to refresh.")
def workflows_diagram(output: str, readme: str) -> None:
    """Write Mermaid diagrams of every machine, and refresh the README's copy."""
    from pathlib import Path

    root = Path(current_app.root_path)
    target = root / output
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# State diagrams\n\nGenerated by `flask --app app workflows diagram` from the transition "
                      "tables in `workflows/`; do not edit by hand.\n\n" + diagrams_markdown())
    readme_path = root / readme
    readme_path.write_text(readme_with_diagrams(readme_path.read_text()))
    click.echo(f"Wrote {output} and refreshed the diagrams in {readme}")


def register_cli(app: Flask) -> None:
    """Attach the command groups."""
    for group in (workdays_cli, demo_cli, users_cli, rulebooks_cli, workflows_cli):
        app.cli.add_command(group)
