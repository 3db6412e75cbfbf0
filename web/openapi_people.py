"""The OpenAPI document's part for people (issue 15, item 3) and Cornwall's leaving-care records (item 4)."""

from __future__ import annotations


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def people_paths(errors) -> dict:
    """/people, one person, their export and erasure; /leaving-care, its records, steps and caseloads."""
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    date = {"type": "string", "format": "date"}
    person = {"$ref": "#/components/schemas/Person"}
    record = {"$ref": "#/components/schemas/LeavingCare"}

    def items(ref: dict) -> dict:
        return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref}}}

    return {
        "/people": {
            "get": {"summary": "People you can see (providers: their own contracts'); no names, only references",
                    "parameters": [{"name": "contract", "in": "query", "schema": {"type": "integer"}},
                                   {"name": "role", "in": "query",
                                    "schema": {"enum": ["service_user", "resident", "young_person"]}}],
                    "responses": {"200": _json(items(person), "People"), **errors(401, 403, 422)}},
            "post": {"summary": "Add a person: the council's reference (not a name), role, and for a young person the "
                                "month of birth (contract managers)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["contract_id", "reference", "role"], "properties": {
                             "contract_id": {"type": ["integer", "string"]}, "reference": {"type": "string"},
                             "role": {"enum": ["service_user", "resident", "young_person"]},
                             "born_in": {"type": "string", "description": "YYYY-MM, young people only (CW-14)"},
                             "started_on": date, "adviser_id": {"type": "integer"}}}}}},
                     "responses": {"201": _json(person, "Added"), **errors(401, 403, 404, 422)}}},
        "/people/{id}": {"get": {
            "summary": "One person with every record linked to them, across kinds, and their trail",
            "parameters": [id_param],
            "responses": {"200": _json(person, "The person"), **errors(401, 403, 404)}}},
        "/people/{id}/ending": {"post": {
            "summary": "Record the day the person's service ended (contract managers); retention counts from it",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["ended_on"], "properties": {"ended_on": date}}}}},
            "responses": {"200": _json(person, "The person"), **errors(401, 403, 404, 409, 422)}}},
        "/people/{id}/export": {"get": {
            "summary": "Everything kept about one person, every person-linked kind with deadlines and trails "
                       "(administrators; audited)",
            "parameters": [id_param],
            "responses": {"200": _json({"type": "object", "required": ["person", "records", "events"]},
                                       "The export"), **errors(401, 403, 404)}}},
        "/people/{id}/erasure": {"post": {
            "summary": "Erase one person's personal data on request (administrators): free text blanked, the "
                       "reference replaced by a tombstone, rows and figures kept",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}}}},
            "responses": {"200": _json(person, "The tombstone"), **errors(401, 403, 404, 409, 422)}}},
        "/leaving-care": {
            "get": {"summary": "Leaving-care records you can see (providers: their own)",
                    "responses": {"200": _json(items(record), "Records"), **errors(401, 403)}},
            "post": {"summary": "A young person referred to the provider: the CW-14 allocation clock starts",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["person_id", "referred_on"],
                         "properties": {"person_id": {"type": "integer"}, "referred_on": date}}}}},
                     "responses": {"201": _json(record, "Referred"), **errors(401, 403, 404, 422)}}},
        "/leaving-care/caseloads": {"get": {
            "summary": "CW-08: each personal adviser's allocated young people against the contract's cap",
            "responses": {"200": _json(items({"type": "object", "required": [
                "contract", "adviser_id", "adviser", "young_people", "cap", "over_cap"]}), "Caseloads"),
                **errors(401, 403)}}},
        "/leaving-care/{id}": {"get": {
            "summary": "One leaving-care record: state, allowed triggers, its clocks explained, audit trail",
            "parameters": [id_param],
            "responses": {"200": _json(record, "The record"), **errors(401, 403, 404)}}},
        "/leaving-care/{id}/transitions": {"post": {
            "summary": "allocate (adviser_id, allocated_on): meets CW-14, starts CW-16 and CW-10; record_review "
                       "(reviewed_on) and record_contact (contacted_on) meet and restart theirs; close (reason)",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["trigger"], "properties": {
                    "trigger": {"enum": ["allocate", "record_review", "record_contact", "close"]},
                    "adviser_id": {"type": "integer"}, "allocated_on": date, "reviewed_on": date,
                    "contacted_on": date, "note": {"type": "string", "description": "no names"},
                    "reason": {"type": "string"}, "version": {"type": "integer"}}}}}},
            "responses": {"200": _json(record, "The updated record"), **errors(400, 401, 403, 404, 409, 422)}}},
    }


def people_schemas() -> dict:
    """Person and LeavingCare."""
    maybe_date = {"type": ["string", "null"], "format": "date"}
    return {
        "Person": {"type": "object", "required": ["id", "reference", "role", "born_in", "provider_id",
                                                  "contract_id", "erased"],
                   "properties": {"id": {"type": "integer"}, "reference": {"type": "string"},
                                  "role": {"enum": ["service_user", "resident", "young_person"]},
                                  "born_in": {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}$"},
                                  "started_on": maybe_date, "ended_on": maybe_date,
                                  "adviser_id": {"type": ["integer", "null"]}, "provider_id": {"type": "integer"},
                                  "contract_id": {"type": ["integer", "null"]}, "erased": {"type": "boolean"},
                                  "records": {"type": "array", "items": {
                                      "type": "object", "required": ["kind", "id", "reference", "state", "page"]}},
                                  "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}},
        "LeavingCare": {"type": "object", "required": [
            "id", "kind", "reference", "state", "version", "allowed_triggers", "person_id", "person", "referred_on",
            "allocated_on", "adviser_id", "reviewed_on", "contacted_on", "deadlines", "events"],
            "properties": {"id": {"type": "integer"}, "kind": {"const": "leaving_care"},
                           "reference": {"type": "string"}, "state": {"enum": ["referred", "allocated", "closed"]},
                           "version": {"type": "integer"},
                           "allowed_triggers": {"type": "array", "items": {"type": "string"}},
                           "provider_id": {"type": "integer"}, "contract_id": {"type": ["integer", "null"]},
                           "person_id": {"type": "integer"}, "person": {"type": "string"},
                           "referred_on": {"type": "string", "format": "date"}, "allocated_on": maybe_date,
                           "adviser_id": {"type": ["integer", "null"]}, "reviewed_on": maybe_date,
                           "contacted_on": maybe_date, "note": {"type": ["string", "null"]},
                           "deadlines": {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}},
                           "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}},
    }
