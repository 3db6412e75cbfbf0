"""A contract brought into Remedy part-way through its life: its returns are chased from the day monitoring begins,
and the periods keep the contract's own anchor."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select


def test_returns_are_scheduled_from_the_day_monitoring_begins(app, demo):
    from models import db
    from models.entities import Contract
    from models.return_store import contract_schedules

    with app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.reference == "HC-2024-05"))
        everything = contract_schedules(contract, date(2026, 11, 23))
        contract.monitoring_from = date(2026, 10, 1)
        later = contract_schedules(contract, date(2026, 11, 23))
        for return_id, periods in everything.items():
            assert periods and periods[0].start <= date(2025, 1, 1)  # from the contract's start in 2024
            kept = [p for p in periods if p.end >= date(2026, 10, 1)]
            assert later[return_id] == kept  # the same periods, the same anchor, just none that ended before
            assert all(p.end >= date(2026, 10, 1) for p in later[return_id])


def test_the_demo_chases_returns_from_the_day_it_is_loaded(app):
    from models import db
    from models.entities import Contract

    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert all(c.monitoring_from is not None for c in db.session.scalars(select(Contract)))
