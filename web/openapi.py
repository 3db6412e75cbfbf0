"""The OpenAPI 3.1 document for /api/v1 (tests validate every response against these schemas)."""

from __future__ import annotations

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {400: "Bad request", 401: "No valid API token", 403: "Role does not allow this", 404: "Not found or not yours",
            409: "Not allowed now", 422: "Invalid data"}
    return {str(code): _json(_ERROR, text[code]) for code in codes}


def openapi_document() -> dict:
    """The whole document."""
    date_param = {"type": "string", "format": "date"}
    region = {"type": "string", "enum": ["england-and-wales", "scotland", "northern-ireland"],
              "default": "england-and-wales"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Remedy API", "version": "1.0.0",
                 "description": "Provider under-performance cases, deadlines and working days. Send "
                                "'Authorization: Bearer <token>' (flask users token EMAIL makes one). A provider's "
                                "token sees only that provider's records; others are 404."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/health": {"get": {"summary": "Service and scheduler health", "security": [],
                                "responses": {"200": _json({"$ref": "#/components/schemas/Health"}, "Healthy"),
                                              "503": _json({"$ref": "#/components/schemas/Health"}, "Degraded")}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "The OpenAPI document"}}}},
            "/providers": {"get": {"summary": "Providers you can see", "responses": {
                "200": _json({"$ref": "#/components/schemas/ProviderList"}, "Providers"), **_errors(401, 403)}}},
            "/providers/{id}": {"get": {
                "summary": "One provider",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _json({"$ref": "#/components/schemas/Provider"}, "The provider"),
                              **_errors(401, 403, 404)}}},
            "/contracts": {"get": {
                "summary": "Contracts you can see",
                "parameters": [{"name": "provider", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": _json({"$ref": "#/components/schemas/ContractList"}, "Contracts"),
                              **_errors(401, 403)}}},
            "/contracts/{key}": {"get": {
                "summary": "One contract by id or reference",
                "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json({"$ref": "#/components/schemas/Contract"}, "The contract"),
                              **_errors(401, 403, 404)}}},
            "/workdays/add": {"get": {
                "summary": "The date N working days after a start date, explained",
                "parameters": [
                    {"name": "start", "in": "query", "required": True, "schema": date_param},
                    {"name": "days", "in": "query", "required": True, "schema": {"type": "integer"}},
                    {"name": "region", "in": "query", "schema": region},
                ],
                "responses": {"200": _json({"$ref": "#/components/schemas/WorkdaysAdd"}, "The due date"),
                              **_errors(401, 403, 422)}}},
            "/workdays/between": {"get": {
                "summary": "Working days after one date up to and including another",
                "parameters": [
                    {"name": "start", "in": "query", "required": True, "schema": date_param},
                    {"name": "end", "in": "query", "required": True, "schema": date_param},
                    {"name": "region", "in": "query", "schema": region},
                ],
                "responses": {"200": _json({"$ref": "#/components/schemas/WorkdaysBetween"}, "The count"),
                              **_errors(401, 403, 422)}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "additionalProperties": False,
                          "properties": {"error": {"type": "string", "minLength": 1}}},
                "Health": {
                    "type": "object", "required": ["status", "scheduler"],
                    "properties": {
                        "status": {"enum": ["ok", "degraded"]},
                        "database": {"enum": ["ok", "unavailable"]},
                        "scheduler": {"type": ["object", "null"], "required": ["last_tick_at", "lag_seconds"],
                                      "properties": {
                                          "last_tick_at": {"type": ["string", "null"], "format": "date-time"},
                                          "lag_seconds": {"type": ["number", "null"]},
                                          "fired": {"type": "integer"}, "failed": {"type": "integer"}}},
                    },
                },
                "CqcRating": {"type": "object", "required": ["rating", "rated_on"], "properties": {
                    "rating": {"enum": ["outstanding", "good", "requires_improvement", "inadequate",
                                        "not_yet_rated"]},
                    "rated_on": {"type": "string", "format": "date"},
                    "report_url": {"type": ["string", "null"]}}},
                "Provider": {
                    "type": "object", "additionalProperties": False,
                    "required": ["id", "name", "reference", "cqc_location_id", "cqc_rating", "cqc_ratings"],
                    "properties": {
                        "id": {"type": "integer"}, "name": {"type": "string"}, "reference": {"type": "string"},
                        "cqc_location_id": {"type": ["string", "null"]},
                        "cqc_rating": {"type": ["string", "null"]},
                        "cqc_ratings": {"type": "array", "items": {"$ref": "#/components/schemas/CqcRating"}}}},
                "ProviderList": {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Provider"}}}},
                "Contract": {
                    "type": "object", "additionalProperties": False,
                    "required": ["id", "reference", "title", "provider", "service", "lots", "start_on", "end_on",
                                 "rulebook", "contract_manager", "escalation_contacts"],
                    "properties": {
                        "id": {"type": "integer"}, "reference": {"type": "string"}, "title": {"type": "string"},
                        "provider": {"type": "object", "required": ["id", "name", "reference"]},
                        "service": {"type": "string"},
                        "lots": {"type": "array", "items": {"type": "string"}},
                        "start_on": {"type": "string", "format": "date"},
                        "end_on": {"type": ["string", "null"], "format": "date"},
                        "rulebook": {"type": "string"},
                        "contract_manager": {"type": ["string", "null"]},
                        "escalation_contacts": {"type": "array", "maxItems": 3, "items": {
                            "type": "object", "required": ["level", "name"],
                            "properties": {"level": {"type": "integer", "minimum": 1, "maximum": 3},
                                           "name": {"type": "string"}}}}}},
                "ContractList": {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Contract"}}}},
                "WorkdaysAdd": {
                    "type": "object", "required": ["start", "days", "region", "due_on", "explanation"],
                    "properties": {
                        "start": {"type": "string", "format": "date"}, "days": {"type": "integer"},
                        "region": {"type": "string"}, "due_on": {"type": "string", "format": "date"},
                        "rule": {"type": "string"},
                        "explanation": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                        "skipped": {"type": "array", "items": {
                            "type": "object", "required": ["date", "reason"],
                            "properties": {"date": {"type": "string", "format": "date"},
                                           "reason": {"type": "string"}}}}}},
                "WorkdaysBetween": {
                    "type": "object", "required": ["start", "end", "region", "working_days"],
                    "properties": {"start": {"type": "string", "format": "date"},
                                   "end": {"type": "string", "format": "date"}, "region": {"type": "string"},
                                   "working_days": {"type": "integer"}}},
            },
        },
    }
