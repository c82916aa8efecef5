from __future__ import annotations

from django.test import Client


def test_openapi_document_lists_every_endpoint_with_its_operation_id(client: Client) -> None:
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["title"] == "Calmdesk API"
    operations = {
        (path, method): op["operationId"]
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
    }
    assert operations == {
        ("/api/v1/requests", "post"): "createRequest",
        ("/api/v1/form", "get"): "getForm",
        ("/api/v1/tickets", "get"): "listTickets",
        ("/api/v1/tickets/{reference}", "get"): "getTicket",
        ("/api/v1/tickets/{reference}", "patch"): "updateTicket",
        ("/api/v1/tickets/{reference}/replies", "post"): "replyToTicket",
        ("/api/v1/tickets/{reference}/notes", "post"): "addTicketNote",
        ("/api/v1/bookings", "post"): "importBookings",
    }


def test_agent_endpoints_require_a_bearer_token_and_intake_does_not(client: Client) -> None:
    doc = client.get("/api/openapi.json").json()

    schemes = doc["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"]
    assert "security" not in doc["paths"]["/api/v1/requests"]["post"]
    assert doc["paths"]["/api/v1/tickets"]["get"]["security"] == [{name: []} for name in schemes]


def test_intake_documents_its_errors_and_the_idempotency_header(client: Client) -> None:
    op = client.get("/api/openapi.json").json()["paths"]["/api/v1/requests"]["post"]

    assert sorted(op["responses"]) == ["200", "202", "400", "413", "422", "429"]
    assert [p["name"] for p in op["parameters"]] == ["Idempotency-Key"]
    assert "Attachments are not accepted" in op["description"]


def test_docs_page_is_served(client: Client) -> None:
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert b"/api/openapi.json" in response.content


def test_unknown_api_path_answers_json_404(client: Client) -> None:
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Not found.",
        "code": "not_found",
        "field": None,
        "errors": {},
    }
