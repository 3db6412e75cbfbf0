"""Migration 0026: Remedy's proposals left pending on closed cases before closing a case withdrew them are withdrawn
as the machines' own step would (new state, new version, an audit event saying why); those on open cases, and those
already decided, are untouched. Run on a database of its own (the `scratch_uri` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import sqlalchemy as sa

from tests.conftest import across_migration

REVISION = "f2a3b4c50026"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _seed(conn) -> dict[str, int]:
    """One council's cases, open and closed, each with a suspension and a termination in some state."""
    def table(table_name: str, **columns) -> sa.TableClause:
        return sa.table(table_name, *[sa.column(c, t) for c, t in columns.items()])

    def insert(t: sa.TableClause, **values) -> int:
        return conn.execute(t.insert().values(**values).returning(sa.literal_column("id"))).scalar_one()

    stamp = {"created_at": sa.DateTime(timezone=True), "version_id": sa.Integer}
    tracked = {"council_id": sa.Integer, "provider_id": sa.Integer, "updated_at": sa.DateTime(timezone=True),
               **stamp}
    council = insert(table("council", name=sa.String, region=sa.String, created_at=sa.DateTime(timezone=True)),
                     name="Kent", region="england-and-wales", created_at=T0)
    provider = insert(table("provider", council_id=sa.Integer, name=sa.String, reference=sa.String, **stamp),
                      council_id=council, name="Brightwater", reference="PRV-001", created_at=T0, version_id=1)
    contract = insert(table("contract", council_id=sa.Integer, provider_id=sa.Integer, reference=sa.String,
                            title=sa.String, service=sa.String, lots=sa.JSON, start_on=sa.Date, rulebook_id=sa.String,
                            **stamp),
                      council_id=council, provider_id=provider, reference="LDDS", title="Day services", service="day",
                      lots=[], start_on=date(2026, 1, 1), rulebook_id="kent", created_at=T0, version_id=1)
    case_file = table("case_file", reference=sa.String, contract_id=sa.Integer, summary=sa.Text, state=sa.String,
                      overdue=sa.Boolean, **tracked)
    suspension = table("suspension", case_id=sa.Integer, state=sa.String, proposed_reason=sa.Text, **tracked)
    termination = table("termination", case_id=sa.Integer, state=sa.String, considered_reason=sa.Text, **tracked)
    common = {"council_id": council, "provider_id": provider, "created_at": T0, "updated_at": T0, "version_id": 1}
    ids = {}
    for n, (label, state, suspended, considered) in enumerate((
            ("resolved", "resolved", "proposed", "considered"),
            ("withdrawn", "withdrawn", "proposed", "considered"),
            ("terminated", "terminated", "proposed", "decided"),
            ("open", "action_plan", "proposed", "considered"),
            ("done", "resolved", "lifted", "not_pursued")), start=1):
        ids[label] = case_id = insert(case_file, reference=f"CASE-{n:05d}", contract_id=contract, summary=label,
                                      state=state, overdue=False, **common)
        ids[f"{label} suspension"] = insert(suspension, case_id=case_id, state=suspended, proposed_reason="Clock",
                                            **common)
        ids[f"{label} termination"] = insert(termination, case_id=case_id, state=considered,
                                             considered_reason="Repeated", **common)
    return ids


def test_upgrade_withdraws_proposals_left_on_closed_cases_and_audits_each(scratch_uri):
    with across_migration(scratch_uri, REVISION, _seed) as (db, ids, _previous), db.engine.connect() as conn:
        def states(name: str) -> dict[int, tuple[str, int]]:
            return {row.id: (row.state, row.version_id) for row in conn.execute(
                sa.text(f"SELECT id, state, version_id FROM {name}"))}

        suspensions, terminations = states("suspension"), states("termination")
        events = conn.execute(sa.text(
            "SELECT entity_type, entity_id, case_id, event, from_state, to_state, actor_id, actor_label, "
            "reason, data FROM audit_event ORDER BY id")).mappings().all()

    assert {label: suspensions[ids[f"{label} suspension"]] for label in
            ("resolved", "withdrawn", "terminated", "open", "done")} == {
        "resolved": ("cancelled", 2), "withdrawn": ("cancelled", 2), "terminated": ("cancelled", 2),
        "open": ("proposed", 1), "done": ("lifted", 1)}
    assert {label: terminations[ids[f"{label} termination"]] for label in
            ("resolved", "withdrawn", "terminated", "open", "done")} == {
        "resolved": ("not_pursued", 2), "withdrawn": ("not_pursued", 2), "terminated": ("decided", 1),
        "open": ("considered", 1), "done": ("not_pursued", 1)}
    withdrawn = sorted((e["entity_type"], e["entity_id"], e["case_id"], e["event"], e["from_state"], e["to_state"],
                        e["actor_id"], e["actor_label"]) for e in events)
    automatic = (None, "Remedy (automatic)")
    assert withdrawn == sorted([
        ("suspension", ids["resolved suspension"], ids["resolved"], "PROPOSAL_WITHDRAWN", "proposed", "cancelled",
         *automatic),
        ("suspension", ids["withdrawn suspension"], ids["withdrawn"], "PROPOSAL_WITHDRAWN", "proposed", "cancelled",
         *automatic),
        ("suspension", ids["terminated suspension"], ids["terminated"], "PROPOSAL_WITHDRAWN", "proposed",
         "cancelled", *automatic),
        ("termination", ids["resolved termination"], ids["resolved"], "PROPOSAL_WITHDRAWN", "considered",
         "not_pursued", *automatic),
        ("termination", ids["withdrawn termination"], ids["withdrawn"], "PROPOSAL_WITHDRAWN", "considered",
         "not_pursued", *automatic)])
    reasons = {e["reason"] for e in events}
    assert reasons == {"The case was closed (resolved) while this proposal waited for a decision",
                       "The case was closed (withdrawn) while this proposal waited for a decision",
                       "The case was closed (terminated) while this proposal waited for a decision"}
    assert {json.dumps(e["data"]) if isinstance(e["data"], dict) else e["data"] for e in events} == {
        json.dumps({"migration": REVISION})}
