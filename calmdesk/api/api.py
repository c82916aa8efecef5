"""The Calmdesk REST API: one NinjaAPI, OpenAPI at /api/openapi.json, docs at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from . import imports, intake, tickets
from .errors import JsonParser, install_error_handlers

DESCRIPTION = """
The Calmdesk help desk over HTTP and JSON.

* **Public intake** — `POST /api/v1/requests` opens a ticket with the same fields, checks and
  triage rules as the web form, and answers with the reference, the private tracking link
  and the expected wait announced to the customer. No authentication; rate limited per client
  address.
* **Agent endpoints** — the queue, a ticket, replies, notes and changes. Send an API token
  created with `manage.py create_api_token --user <username> --name <name>` as
  `Authorization: Bearer <token>`. The token acts as its user: an active agent (or superuser)
  who sees the tickets of their teams.

**Errors** are JSON with one shape: `{"detail", "code", "field", "errors": {input: [messages]}}`
— 400 for a refused change (`field` names the input), 401 without a valid token, 403 for a
user who is not an agent, 404 for a ticket that does not exist or is not yours to see, 413 for
a body over 1 MB, 422 for invalid input, 429 with `Retry-After` when rate limited.

Bodies are JSON (`Content-Type: application/json`); the API does not accept attachments.
"""

api = NinjaAPI(
    title="Calmdesk API",
    version="1",
    description=DESCRIPTION.strip(),
    urls_namespace="api",
    docs_url="/docs",
    parser=JsonParser(),
    openapi_extra={
        "tags": [
            {"name": "Requests", "description": "Public intake: customers' requests."},
            {"name": "Tickets", "description": "Agents' work on tickets (bearer token)."},
        ]
    },
)
install_error_handlers(api)
api.add_router("/v1/", intake.router)
api.add_router("/v1/", tickets.router)
api.add_router("/v1/", imports.router)
