"""The references migration: records that shared a reference before it keep the oldest one's and get fresh numbers
after the council's highest, each change is in the audit trail, the counters start after the highest number, and
the database refuses a duplicate from then on. Run on a database of its own (the `scratch_uri` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.conftest import across_migration

REVISION = "a7c3e5f10013"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _table(name: str, *columns: sa.Column) -> sa.TableClause:
    return sa.table(name, *[sa.column(c.name, c.type) for c in columns])


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _seed_before_the_migration(conn) -> dict[str, dict[str, int]]:
    """Two councils' records as count(*) + 1 left them: shared references within a council, and the same reference
    in two councils (which is fine). Returns the ids by label."""
    def insert(table: sa.TableClause, **values) -> int:
        return conn.execute(table.insert().values(**values).returning(sa.literal_column("id"))).scalar_one()

    council = _table("council", sa.Column("name", sa.String), sa.Column("region", sa.String),
                     sa.Column("created_at", sa.DateTime(timezone=True)))
    provider = _table("provider", sa.Column("council_id", sa.Integer), sa.Column("name", sa.String),
                      sa.Column("reference", sa.String), sa.Column("created_at", sa.DateTime(timezone=True)),
                      sa.Column("version_id", sa.Integer))
    contract = _table("contract", *[sa.Column(n, t) for n, t in [
        ("council_id", sa.Integer), ("provider_id", sa.Integer), ("reference", sa.String), ("title", sa.String),
        ("service", sa.String), ("lots", sa.JSON), ("start_on", sa.Date), ("rulebook_id", sa.String),
        ("created_at", sa.DateTime(timezone=True)), ("version_id", sa.Integer)]])
    tracked = [("council_id", sa.Integer), ("provider_id", sa.Integer), ("reference", sa.String),
               ("created_at", sa.DateTime(timezone=True)), ("updated_at", sa.DateTime(timezone=True)),
               ("version_id", sa.Integer)]
    case = _table("case_file", *[sa.Column(n, t) for n, t in tracked + [
        ("contract_id", sa.Integer), ("summary", sa.Text), ("state", sa.String), ("overdue", sa.Boolean)]])
    complaint = _table("complaint", *[sa.Column(n, t) for n, t in tracked + [
        ("state", sa.String), ("received_at", sa.DateTime(timezone=True)), ("channel", sa.String),
        ("complainant_type", sa.String), ("formal", sa.Boolean), ("by_council", sa.Boolean), ("summary", sa.Text)]])
    concern = _table("safeguarding_concern", *[sa.Column(n, t) for n, t in tracked + [
        ("state", sa.String), ("kind", sa.String), ("raised_on", sa.Date), ("details", sa.Text)]])
    incident = _table("incident", *[sa.Column(n, t) for n, t in tracked + [
        ("kind", sa.String), ("occurred_at", sa.DateTime(timezone=True)), ("description", sa.Text),
        ("action_taken", sa.Text)]])

    ids: dict[str, dict[str, int]] = {"council": {}, "case": {}, "complaint": {}, "concern": {}, "incident": {}}
    for label in ("kent", "cornwall"):
        ids["council"][label] = insert(council, name=label.title(), region="england-and-wales", created_at=T0)
    kent, cornwall = ids["council"]["kent"], ids["council"]["cornwall"]
    kent_provider = insert(provider, council_id=kent, name="Brightwater", reference="PRV-001", created_at=T0,
                           version_id=1)
    cornwall_provider = insert(provider, council_id=cornwall, name="Tamar", reference="PRV-001", created_at=T0,
                               version_id=1)
    contract_id = insert(contract, council_id=kent, provider_id=kent_provider, reference="LDDS", title="Day services",
                         service="day", lots=[], start_on=date(2026, 1, 1), rulebook_id="kent", created_at=T0,
                         version_id=1)

    def record(table, collection, label, council_id, reference, minutes, **values):
        provider_id = kent_provider if council_id == kent else cornwall_provider
        ids[collection][label] = insert(table, council_id=council_id, provider_id=provider_id, reference=reference,
                                  created_at=_at(minutes), updated_at=_at(minutes), version_id=1, **values)

    def a_complaint(label, council_id, reference, minutes):
        record(complaint, "complaint", label, council_id, reference, minutes, state="received",
               received_at=_at(minutes), channel="phone", complainant_type="service_user", formal=True,
               by_council=False, summary=label)

    a_complaint("first", kent, "CMP-00001", 1)
    a_complaint("second", kent, "CMP-00001", 1)  # the same moment: the lower id is the older
    a_complaint("third", kent, "CMP-00001", 2)
    a_complaint("fourth", kent, "CMP-00002", 3)
    a_complaint("cornwall", cornwall, "CMP-00001", 1)
    # The concern created first has the higher id: age goes by created_at.
    for label, minutes in (("later", 5), ("earlier", 4)):
        record(concern, "concern", label, kent, "SG-00001", minutes, state="raised", kind="care_concern",
               raised_on=date(2026, 11, 2), details=label)
    for label in ("first", "second"):
        record(incident, "incident", label, kent, "INC-00001", 1, kind="accident", occurred_at=T0,
               description=label, action_taken="none")
    record(case, "case", "only", kent, "CASE-00007", 1, contract_id=contract_id, summary="s", state="concern",
           overdue=False)
    return ids


def test_upgrade_renumbers_shared_references_keeps_the_oldest_and_audits_each_change(scratch_uri):
    from flask_migrate import downgrade

    from models.reference_store import next_reference

    with across_migration(scratch_uri, REVISION, _seed_before_the_migration) as (db, ids, previous):
        with db.engine.connect() as conn:
            def references(table: str) -> dict[int, str]:
                return dict(conn.execute(sa.text(f"SELECT id, reference FROM {table}")).all())

            complaints, concerns = references("complaint"), references("safeguarding_concern")
            incidents, cases = references("incident"), references("case_file")
            events = conn.execute(sa.text(
                "SELECT council_id, entity_type, entity_id, case_id, event, actor_id, actor_label, reason, data "
                "FROM audit_event ORDER BY id")).mappings().all()
            counters = {(row.council_id, row.prefix): row.last
                        for row in conn.execute(sa.text("SELECT council_id, prefix, last FROM reference_counter"))}
        kent, cornwall = ids["council"]["kent"], ids["council"]["cornwall"]
        complaint, concern, incident = ids["complaint"], ids["concern"], ids["incident"]
        assert {label: complaints[i] for label, i in complaint.items()} == {
            "first": "CMP-00001", "second": "CMP-00003", "third": "CMP-00004", "fourth": "CMP-00002",
            "cornwall": "CMP-00001"}
        assert {label: concerns[i] for label, i in concern.items()} == {"earlier": "SG-00001", "later": "SG-00002"}
        assert {label: incidents[i] for label, i in incident.items()} == {"first": "INC-00001",
                                                                          "second": "INC-00002"}
        assert cases == {ids["case"]["only"]: "CASE-00007"}

        renumbered = [(e["entity_type"], e["entity_id"], e["case_id"], e["actor_id"], e["actor_label"],
                       e["data"] if isinstance(e["data"], dict) else json.loads(e["data"]))
                      for e in events if e["event"] == "REFERENCE_RENUMBERED"]
        assert len(events) == len(renumbered) == 4 and {e["council_id"] for e in events} == {kent}
        automatic = (None, "Remedy (automatic)")
        assert sorted(renumbered, key=lambda e: (e[0], e[1])) == sorted([
            ("complaint", complaint["second"], None, *automatic,
             {"old_reference": "CMP-00001", "new_reference": "CMP-00003"}),
            ("complaint", complaint["third"], None, *automatic,
             {"old_reference": "CMP-00001", "new_reference": "CMP-00004"}),
            ("safeguarding_concern", concern["later"], None, *automatic,
             {"old_reference": "SG-00001", "new_reference": "SG-00002"}),
            ("incident", incident["second"], None, *automatic,
             {"old_reference": "INC-00001", "new_reference": "INC-00002"}),
        ], key=lambda e: (e[0], e[1]))
        assert "CMP-00001 was also the reference of an older complaint: this one is now CMP-00003" in [
            e["reason"] for e in events]
        assert counters == {(kent, "CMP"): 4, (cornwall, "CMP"): 1, (kent, "SG"): 2, (kent, "INC"): 2,
                            (kent, "CASE"): 7}

        # The next record of each kind carries on after the highest number, per council.
        assert [next_reference(kent, "CMP"), next_reference(cornwall, "CMP"), next_reference(kent, "CASE"),
                next_reference(cornwall, "INC")] == ["CMP-00005", "CMP-00002", "CASE-00008", "INC-00001"]
        db.session.rollback()

        # And the database itself now refuses a shared reference.
        for table in ("complaint", "safeguarding_concern", "incident"):
            with pytest.raises(IntegrityError), db.engine.begin() as conn:
                conn.execute(sa.text(_copy_of_the_first_row(conn, table)))

        downgrade(revision=previous)
        with db.engine.connect() as conn:
            assert "reference_counter" not in sa.inspect(conn).get_table_names()
            assert not any(c["name"].startswith("uq_complaint") for c in
                           sa.inspect(conn).get_unique_constraints("complaint"))


def _copy_of_the_first_row(conn, table: str) -> str:
    """SQL inserting a second row exactly like the table's first (same council, same reference)."""
    names = ", ".join(c["name"] for c in sa.inspect(conn).get_columns(table) if c["name"] != "id")
    return f"INSERT INTO {table} ({names}) SELECT {names} FROM {table} WHERE id = (SELECT min(id) FROM {table})"
