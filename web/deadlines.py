"""Deadlines for people: what is overdue and due soon, each deadline's story, pauses and extensions, and a
personal calendar feed (ICS) at a secret address."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models import db
from models.calendar_feed_store import has_feed, renew_feed_token, revoke_feed_tokens, user_for_feed
from models.council_store import kept_for_viewer
from models.count_store import cap
from models.deadline_store import (
    case_of,
    extend_deadline,
    get_deadline,
    is_paused,
    pause_deadline,
    pauses_of,
    resume_deadline,
    upcoming_deadlines,
)
from models.list_store import PER_PAGE
from models.provider_store import filter_choices
from models.registry import KINDS
from models.scheduling import Timer
from models.work_queue import WHEN, deadline_counts, deadline_lists, deadline_window
from web.clock import LONDON, now_utc, today_london
from web.deadline_rows import deadline_rows
from web.forms import ExtendForm, PauseForm, RemoveForm
from web.lists import pagination
from web.permissions import public, requires
from web.steps import run_and_flash
from workflows.access import Permission
from workflows.machine import MANAGERS

bp = Blueprint("deadlines", __name__)


GROUP_HEADINGS = {"overdue": "Overdue", "this-week": "Due this week", "next-week": "Due next week", "later": "Later"}
# Rows shown per group on the whole list (the heading counts them all; "See all" opens the group), and per page of
# one group, which pages like every other list and stops at the same depth (issue 17: 400 rows took 35 ms to draw).
GROUP_SIZE, PAGE_SIZE = 10, PER_PAGE


@bp.get("/deadlines")
@requires(Permission.VIEW_DASHBOARD)
def list_deadlines():
    """Overdue, due this week (the next 7 days), next week (the 7 after) and later, across every record the person
    sees, filtered by mine (contracts I manage), provider and kind of record: a fixed number of statements. One
    group (`when`) is shown a page at a time."""
    now, today = now_utc(), today_london()
    week_end, next_end = deadline_window(today)
    args = request.args
    when = args.get("when") if args.get("when") in WHEN else None
    kinds = [(name, kind.noun.capitalize()) for name, kind in KINDS.items()]
    kind = args.get("kind") if args.get("kind") in KINDS else None
    providers, _contracts = filter_choices(g.viewer)
    provider_id = args.get("provider", type=int) if not g.viewer.is_provider else None
    mine = args.get("mine") == "yes" and not g.viewer.is_provider
    filters = {"manager_id": g.viewer.user_id if mine else None, "provider_id": provider_id, "kind": kind}
    names = (when,) if when else WHEN
    query = {k: v for k, v in {"mine": "yes" if mine else "", "provider": provider_id or "", "kind": kind or ""}
             .items() if v}
    asked = max(args.get("page", 1, type=int) or 1, 1)

    def drawn() -> tuple[list[dict], int, int]:
        """The groups shown, the page and the number of pages (of one group, `when`)."""
        counts = deadline_counts(g.viewer, now, today, **filters)
        page, pages = 1, 1
        if when:
            pages = max(min((counts[when] + PAGE_SIZE - 1) // PAGE_SIZE, cap() // PAGE_SIZE), 1)
            page = min(asked, pages)
        # The groups' rows in two statements (each group bounded), then their statuses and subjects all at once.
        shown = deadline_lists(g.viewer, now, today, names, PAGE_SIZE if when else GROUP_SIZE,
                               offset=(page - 1) * PAGE_SIZE, **filters)
        rows = iter(deadline_rows(g.viewer, [d for name in names for d in shown[name]], now))
        return [{"id": name, "heading": GROUP_HEADINGS[name], "rows": [next(rows) for _ in shown[name]],
                 "count": counts[name], "all": url_for("deadlines.list_deadlines", **query, when=name)}
                for name in names], page, pages

    # Kept while nothing in the council changes (models/council_store.kept_for_viewer), as every list is.
    groups, page, pages = kept_for_viewer(g.viewer, ("deadlines", when, tuple(filters.values()), asked), drawn)
    paging = pagination("deadlines.list_deadlines", page, pages, {**query, "when": when},
                        f"{GROUP_HEADINGS[when]}: pages") if when else None
    return render_template("deadlines/list_deadlines.html", groups=groups, today=today, week_end=week_end,
                           next_end=next_end, when=when, kinds=kinds, kind=kind, providers=providers,
                           provider_id=provider_id, mine=mine, query=query, pagination=paging,
                           first_shown=(page - 1) * PAGE_SIZE + 1, deepest=pages * PAGE_SIZE,
                           filtered=bool(query) or bool(when), base=url_for("deadlines.list_deadlines"))


@bp.get("/deadlines/<int:deadline_id>")
@requires(Permission.VIEW_DASHBOARD)
def show_deadline(deadline_id: int):
    """One deadline: how it was counted, its reminders, pauses and extensions."""
    return _deadline_page(deadline_id)


def _deadline_page(deadline_id: int, form=None, status: int = 200):
    """The deadline's page; with `form`, the pause or extension form that failed, its errors in the GOV.UK error
    summary and on its fields (never a banner)."""
    deadline = get_deadline(g.viewer, deadline_id)
    now = now_utc()
    (row,) = deadline_rows(g.viewer, [deadline], now)
    timers = db.session.query(Timer).filter(Timer.deadline_id == deadline.id).order_by(Timer.due_at).all()
    can_manage = g.viewer.role in MANAGERS
    return render_template("deadlines/show_deadline.html", row=row, deadline=deadline, timers=timers,
                           pauses=pauses_of(deadline), paused=is_paused(deadline), can_manage=can_manage,
                           pause_form=form if isinstance(form, PauseForm) else PauseForm(formdata=None),
                           extend_form=form if isinstance(form, ExtendForm) else ExtendForm(formdata=None),
                           resume_form=RemoveForm(), form=form), status


def _act(deadline_id: int, action):
    run_and_flash(action)
    return redirect(url_for("deadlines.show_deadline", deadline_id=deadline_id), code=303)


def _refused(deadline_id: int, form):
    """A pause or extension form that failed: its field errors on the page (422), or an expired form flashed."""
    if any(field.errors for field in form if field.name != "csrf_token"):
        return _deadline_page(deadline_id, form, 422)
    flash("The form expired: try again", "error")
    return redirect(url_for("deadlines.show_deadline", deadline_id=deadline_id), code=303)


@bp.post("/deadlines/<int:deadline_id>/pause")
@requires(Permission.VIEW_DASHBOARD)
def pause(deadline_id: int):
    """Stop the clock, with a reason."""
    form = PauseForm()
    if not form.validate_on_submit():
        return _refused(deadline_id, form)
    return _act(deadline_id, lambda: (pause_deadline(g.viewer, current_user, deadline_id, form.reason.data,
                                                     today_london(), now_utc()), flash("Clock paused")))


@bp.post("/deadlines/<int:deadline_id>/resume")
@requires(Permission.VIEW_DASHBOARD)
def resume(deadline_id: int):
    """Restart the clock; the due date moves by the working days paused."""
    if not RemoveForm().validate_on_submit():
        abort(400)
    return _act(deadline_id, lambda: (resume_deadline(g.viewer, current_user, deadline_id, today_london(),
                                                      now_utc()), flash("Clock restarted")))


@bp.post("/deadlines/<int:deadline_id>/extend")
@requires(Permission.VIEW_DASHBOARD)
def extend(deadline_id: int):
    """Record an extension in working days, with a reason."""
    get_deadline(g.viewer, deadline_id)  # another provider's deadline is a 404 before the form is judged
    form = ExtendForm()
    if not form.validate_on_submit():
        return _refused(deadline_id, form)
    return _act(deadline_id, lambda: (extend_deadline(g.viewer, current_user, deadline_id, form.days.data,
                                                      form.reason.data, today_london(), now_utc()),
                                      flash(f"Deadline extended by {form.days.data} working day(s)")))


@bp.route("/account/calendar-feed", methods=["GET", "POST"])
@requires(Permission.MANAGE_OWN_ACCOUNT)
def calendar_feed_settings():
    """Make, renew or revoke your secret calendar address."""
    form = RemoveForm()
    new_url = None
    if form.validate_on_submit():
        if request.form.get("action") == "revoke":
            revoke_feed_tokens(current_user)
            flash("Calendar address revoked: calendars using it will stop updating")
            db.session.commit()
            return redirect(url_for("deadlines.calendar_feed_settings"), code=303)
        token = renew_feed_token(current_user, now_utc())
        db.session.commit()
        new_url = url_for("deadlines.calendar_feed", token=token, _external=True)
    return render_template("deadlines/calendar_feed.html", form=form, new_url=new_url,
                           has_feed=has_feed(current_user))


@bp.get("/calendar/<token>.ics")
@public  # the secret token in the address is the credential; it can be revoked and renewed
def calendar_feed(token: str):
    """Your upcoming deadlines as an iCalendar feed (only what you may see)."""
    from icalendar import Calendar, Event

    user = user_for_feed(token)
    if user is None:
        abort(404)
    now, today = now_utc(), today_london()
    calendar = Calendar()
    calendar.add("prodid", "-//Remedy//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Remedy deadlines")
    calendar.add("x-wr-timezone", "Europe/London")
    for deadline in upcoming_deadlines(user.viewer, now, today + timedelta(days=365)):
        case = case_of(deadline)
        event = Event()
        event.add("uid", f"deadline-{deadline.id}@remedy")
        event.add("summary", f"{deadline.label}{' – ' + case.reference if case else ''}")
        event.add("dtstart", deadline.due_on)
        event.add("dtend", deadline.due_on + timedelta(days=1))
        event.add("dtstamp", now.astimezone(LONDON))
        event.add("description", "\n".join(deadline.explanation))
        event.add("url", url_for("deadlines.show_deadline", deadline_id=deadline.id, _external=True))
        calendar.add_component(event)
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="remedy-deadlines.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
