"""Provider staff see only their own provider, in pages and in the API, enforced by the store queries."""

import pytest

from tests.conftest import assert_page


@pytest.fixture
def ids(app, demo):
    from models.provider_store import list_contracts, list_providers
    from models.user_store import find_user_by_email

    with app.app_context():
        council = find_user_by_email(demo["admin"]).viewer
        providers = {p.reference: p.id for p in list_providers(council)}
        contracts = {c.reference: c.id for c in list_contracts(council)}
    return providers, contracts


def test_store_queries_scope_to_the_provider(app, demo):
    from models.provider_store import get_contract, get_provider, list_contracts, list_providers
    from models.user_store import find_user_by_email
    from workflows.errors import NotFound

    with app.app_context():
        own = find_user_by_email(demo["provider_user"]).viewer
        council = find_user_by_email(demo["council_viewer"]).viewer
        assert [p.reference for p in list_providers(own)] == ["PRV-002"]
        assert [c.reference for c in list_contracts(own)] == ["LDDS-2023-07"]
        assert len(list_providers(council)) == 5 and len(list_contracts(council)) == 5
        other = next(p for p in list_providers(council) if p.reference == "PRV-005")
        with pytest.raises(NotFound):
            get_provider(own, other.id)
        with pytest.raises(NotFound):
            get_contract(own, "HC-2024-05")
        assert list_contracts(own, provider_id=other.id) == []


@pytest.mark.parametrize("role", ["provider_manager", "provider_user"])
def test_provider_pages_show_only_their_own_records(login_as, ids, role):
    providers, contracts = ids
    client = login_as(role)
    html = assert_page(client.get("/"), "Dashboard")
    assert "Brightwater Day Opportunities CIC" in html
    for other in ("Meadowbank", "Harbour Light", "Thameside", "Riverside"):
        assert other not in html
    assert client.get(f"/providers/{providers['PRV-002']}").status_code == 200
    assert client.get(f"/contracts/{contracts['LDDS-2023-07']}").status_code == 200
    for ref, provider_id in providers.items():
        if ref != "PRV-002":
            assert_page(client.get(f"/providers/{provider_id}"), "Page not found", status=404)
    for ref, contract_id in contracts.items():
        if ref != "LDDS-2023-07":
            assert client.get(f"/contracts/{contract_id}").status_code == 404
    listing = client.get("/contracts").get_data(as_text=True)
    assert "LDDS-2023-07" in listing and "HC-2024-05" not in listing
    # The providers list goes straight to their own organisation.
    assert client.get("/providers").headers["Location"] == f"/providers/{providers['PRV-002']}"


@pytest.mark.parametrize("role", ["provider_manager", "provider_user"])
def test_provider_api_tokens_see_only_their_own_records(app, api_token, ids, role):
    providers, contracts = ids
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(role)}"}
    assert [p["reference"] for p in client.get("/api/v1/providers", headers=headers).get_json()["items"]] == [
        "PRV-002"]
    assert [c["reference"] for c in client.get("/api/v1/contracts", headers=headers).get_json()["items"]] == [
        "LDDS-2023-07"]
    for ref, provider_id in providers.items():
        status = client.get(f"/api/v1/providers/{provider_id}", headers=headers).status_code
        assert status == (200 if ref == "PRV-002" else 404)
    for ref, contract_id in contracts.items():
        for key in (contract_id, ref):
            status = client.get(f"/api/v1/contracts/{key}", headers=headers).status_code
            assert status == (200 if ref == "LDDS-2023-07" else 404)
    other = providers["PRV-005"]
    assert client.get(f"/api/v1/contracts?provider={other}", headers=headers).get_json()["items"] == []


def test_a_council_viewer_sees_every_provider(login_as):
    html = login_as("council_viewer").get("/providers").get_data(as_text=True)
    for name in ("Meadowbank", "Brightwater", "Harbour Light", "Thameside", "Riverside"):
        assert name in html


def test_another_providers_referrals_and_packages_are_404_in_every_face(app, demo, api, login_as):
    """The registry's per-person kinds (issue 15, item 2) are scoped like every other: the Kent provider's staff
    reach none of Riverside's referrals or packages, by id, by step, in a list or on a page; council staff see them."""
    from datetime import UTC, datetime

    from models import db
    from models.referral_store import record_package, record_referral
    from models.registry import KINDS
    from models.user_store import find_user_by_email

    now = datetime.now(UTC)
    with app.app_context():
        manager = find_user_by_email(demo["contract_manager"])
        records = {"referral": record_referral(manager.viewer, manager, {
            "contract_id": "HC-2024-05", "person": "SU-ISO-1", "summary": "Isolation",
            "starts_at": "2099-01-01T09:00", "grade": "standard"}, now).id,
                   "package": record_package(manager.viewer, manager, {
            "contract_id": "HC-2024-05", "person": "SU-ISO-2", "summary": "Isolation",
            "started_on": now.date().isoformat()}, now).id}
        db.session.commit()
    for kind, record_id in records.items():
        collection = KINDS[kind].collection
        page = KINDS[kind].page_for(record_id, None)
        for role in ("provider_manager", "provider_user"):
            assert api(role, "GET", f"/api/v1/{collection}/{record_id}", status=404)["error"]
            assert api(role, "POST", f"/api/v1/{collection}/{record_id}/transitions",
                       json={"trigger": "withdraw" if kind == "referral" else "end"}, status=404)
            assert api(role, "GET", f"/api/v1/{collection}", status=200)["items"] == []
            assert login_as(role).get(page).status_code == 404
        assert api("council_viewer", "GET", f"/api/v1/{collection}/{record_id}", status=200)["id"] == record_id
        assert login_as("council_viewer").get(page).status_code == 200
