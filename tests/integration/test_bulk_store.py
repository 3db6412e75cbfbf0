"""models/bulk_store.insert_with_ids: many rows in one go, and each row's id given back in order, on SQLite (the
first row's id, then the ids after it) and on PostgreSQL (the table's sequence), after rows already there. And
plain_rows: the same values as SQLAlchemy's rows, as the driver's own tuples only where no type converts them. And
among: a batch of values matched in one parameter."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, Text, cast, insert, null, select

from models import db
from models.bulk_store import among, insert_with_ids, plain_rows
from models.entities import Contract
from models.monitoring import BreachRecord


def _row(contract: Contract, key: str) -> dict:
    return {"council_id": contract.council_id, "provider_id": contract.provider_id, "contract_id": contract.id,
            "key": key, "proposals": [], "status": "proposed", "rule_id": "CE-34", "cites": "CE-34",
            "actions": ["warning"], "subject": f"Breach {key}", "summary": "Below target", "figures": [{"k": key}],
            "occurred_on": date(2026, 12, 1), "immediate": False, "advisory": False,
            "found_at": datetime(2026, 12, 1, 6, tzinfo=UTC), "case_id": None, "version_id": 1}


def test_each_row_gets_its_own_id_back_in_order_after_rows_already_there(app, demo):
    with app.app_context():
        contract = db.session.scalars(select(Contract).order_by(Contract.id)).first()
        before = insert_with_ids(BreachRecord.__table__, [_row(contract, "before")])
        keys = [f"k{n}" for n in range(7)]
        ids = insert_with_ids(BreachRecord.__table__, [_row(contract, key) for key in keys])
        db.session.commit()
        assert len(set(ids)) == 7 and min(ids) > before[0]
        stored = dict(db.session.execute(select(BreachRecord.id, BreachRecord.key)
                                         .where(BreachRecord.id.in_(ids))).all())
        assert stored == dict(zip(ids, keys, strict=True))
        record = db.session.get(BreachRecord, ids[3])
        assert (record.figures, record.found_at, record.occurred_on) == (
            [{"k": "k3"}], datetime(2026, 12, 1, 6, tzinfo=UTC), date(2026, 12, 1))
        assert insert_with_ids(BreachRecord.__table__, []) == []


def test_plain_rows_give_what_sqlalchemy_gives_and_the_drivers_tuples_only_where_nothing_converts(app, demo):
    with app.app_context():
        contract = db.session.scalars(select(Contract).order_by(Contract.id)).first()
        insert_with_ids(BreachRecord.__table__, [_row(contract, key) for key in ("a", "b")])
        db.session.flush()
        plain = select(BreachRecord.id, BreachRecord.key, BreachRecord.occurred_on, BreachRecord.status) \
            .where(BreachRecord.contract_id == contract.id).order_by(BreachRecord.id)
        # An instant (UTCDateTime gives it its zone back) and JSON: types that convert what the driver returns.
        converted = select(BreachRecord.key, BreachRecord.found_at, BreachRecord.figures) \
            .where(BreachRecord.contract_id == contract.id).order_by(BreachRecord.id)
        for query in (plain, converted):
            expected = [tuple(row) for row in db.session.execute(query).all()]
            rows = plain_rows(query)
            assert [tuple(row) for row in rows] == expected
        assert plain_rows(plain)[-1][2] == date(2026, 12, 1)  # a date, on SQLite too (stored there as text)
        assert plain_rows(converted)[-1][1:] == (datetime(2026, 12, 1, 6, tzinfo=UTC), [{"k": "b"}])
        # Tuples where nothing converts but dates (psycopg's own on PostgreSQL; on SQLite, whose dates are text, each
        # text converted once by SQLAlchemy's processor); SQLAlchemy's rows where anything else converts.
        assert all(type(row) is tuple for row in plain_rows(plain))
        assert not any(type(row) is tuple for row in plain_rows(converted))
        with_nulls = select(BreachRecord.occurred_on, BreachRecord.case_id, cast(null(), Date)) \
            .where(BreachRecord.contract_id == contract.id).order_by(BreachRecord.id)
        assert plain_rows(with_nulls) == [(date(2026, 12, 1), None, None)] * 2
        db.session.rollback()


def test_json_columns_store_the_same_text_as_the_orm_writes(app, demo):
    """On PostgreSQL the bulk path writes a JSON column's text itself (COPY takes text); it must be the very text
    SQLAlchemy's own insert stores, unicode, nesting and a JSON null included."""
    with app.app_context():
        contract = db.session.scalars(select(Contract).order_by(Contract.id)).first()
        figures = [{"k": "Café – 97.5%", "n": [1, 2.5, None], "ok": True}, None, "£"]
        bulk = _row(contract, "bulk") | {"figures": figures, "actions": [], "proposals": [{"kind": "x", "id": 3}]}
        orm = _row(contract, "orm") | {"figures": figures, "actions": [], "proposals": [{"kind": "x", "id": 3}]}
        [bulk_id] = insert_with_ids(BreachRecord.__table__, [bulk])
        orm_id = db.session.execute(insert(BreachRecord.__table__).returning(BreachRecord.id), orm).scalar_one()
        db.session.commit()
        texts = {row.id: (row.figures, row.actions, row.proposals) for row in db.session.execute(
            select(BreachRecord.id, cast(BreachRecord.figures, Text).label("figures"),
                   cast(BreachRecord.actions, Text).label("actions"),
                   cast(BreachRecord.proposals, Text).label("proposals"))
            .where(BreachRecord.id.in_([bulk_id, orm_id])))}
        assert texts[bulk_id] == texts[orm_id]
        assert db.session.get(BreachRecord, bulk_id).figures == figures


def test_among_matches_a_batch_of_ids_as_in_would_on_both_databases(app, demo):
    """among(): ids (on PostgreSQL sent as the array's text, cast by the server), none, one, many and absent ones,
    large ids, and a column that is not an integer (on PostgreSQL an array of its own type)."""
    with app.app_context():
        ids = list(db.session.scalars(select(Contract.id).order_by(Contract.id)))
        references = list(db.session.scalars(select(Contract.reference).order_by(Contract.id)))

        def matched(column, values):
            return sorted(db.session.scalars(select(Contract.id).where(among(column, values))))

        assert matched(Contract.id, []) == []
        assert matched(Contract.id, ids[:1]) == ids[:1]
        assert matched(Contract.id, {*ids, 2_147_483_647, -1}) == ids
        assert matched(Contract.id, (i for i in ids[1:3])) == ids[1:3]
        assert matched(Contract.reference, references[:2] + ["no such contract"]) == ids[:2]
