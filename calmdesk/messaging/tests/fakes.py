"""A local HTTP server that answers like Twilio, the WhatsApp Cloud API (Graph) and the Telegram
Bot API, and CHECKS each request the way the real API would: the path, the authentication and
the payload. A request in the wrong format gets the provider's error answer (so the code under
test fails like it would in production) and is recorded with ``problem`` set."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-auth-token"
TWILIO_FROM = "+15005550006"
WA_NUMBER_ID = "106540352242922"
WA_TOKEN = "EAAG-test-access-token"
WA_SECRET = "whatsapp-app-secret"
WA_VERIFY = "verify-me"
TG_TOKEN = "123456789:AAE-test-bot-token"
TG_SECRET = "telegram_secret_token-1"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    problem: str = ""

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class FakeProviders:
    requests: list[Recorded] = field(default_factory=list)
    # path → (status, JSON payload) to answer instead of the normal one (refusals, outages).
    fail: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    # Files served under /media/<name> (Twilio media, WhatsApp media URLs, Telegram files).
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    base_url: str = ""
    counter: int = 0

    def sent(self, kind: str) -> list[Recorded]:
        """The well-formed sends: twilio, whatsapp, telegram."""
        patterns = {
            "twilio": r"/2010-04-01/Accounts/.+/Messages\.json$",
            "whatsapp": r"/v[\d.]+/\d+/messages$",
            "telegram": r"/bot[^/]+/sendMessage$",
        }
        return [
            r
            for r in self.requests
            if re.search(patterns[kind], r.path) and not r.problem and r.method == "POST"
        ]

    # -- Routing ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        self.counter += 1
        recorded = Recorded(method, path, headers, body)
        self.requests.append(recorded)
        route = urlsplit(path).path
        if route in self.fail:
            status, payload = self.fail[route]
            return status, "application/json", json.dumps(payload).encode()
        if route.startswith("/media/"):
            name = route.removeprefix("/media/")
            if name not in self.files:
                return 404, "text/plain", b"not found"
            content, content_type = self.files[name]
            return 200, content_type, content
        if route.startswith("/2010-04-01/"):
            return self._twilio(recorded, route)
        if route.startswith("/bot") or route.startswith("/file/bot"):
            return self._telegram(recorded, route)
        if route.startswith("/v"):
            return self._graph(recorded, route)
        recorded.problem = "unknown path"
        return 404, "text/plain", b"unknown"

    def _reject(self, recorded: Recorded, problem: str, status: int, payload: Any) -> Any:
        recorded.problem = problem
        return status, "application/json", json.dumps(payload).encode()

    def _twilio(self, recorded: Recorded, route: str) -> Any:
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if recorded.headers.get("authorization") != expected:
            return self._reject(recorded, "auth", 401, {"code": 20003, "message": "Authenticate"})
        if route != f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json" or recorded.method != "POST":
            return self._reject(recorded, "path", 404, {"code": 20404, "message": "Not found"})
        if not recorded.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return self._reject(recorded, "content type", 400, {"code": 0, "message": "form"})
        form = recorded.form
        if (
            not form.get("To")
            or not form.get("Body")
            or not (form.get("From") or form.get("MessagingServiceSid"))
        ):
            return self._reject(
                recorded,
                "fields",
                400,
                {"code": 21604, "message": "A 'To' phone number is required."},
            )
        if len(form["Body"][0]) > 1600:
            return self._reject(
                recorded,
                "length",
                400,
                {
                    "code": 21617,
                    "message": "The concatenated message body exceeds the 1600 character limit.",
                },
            )
        sid = f"SM{self.counter:032d}"
        return 201, "application/json", json.dumps({"sid": sid, "status": "queued"}).encode()

    def _graph(self, recorded: Recorded, route: str) -> Any:
        if recorded.headers.get("authorization") != f"Bearer {WA_TOKEN}":
            return self._reject(
                recorded,
                "auth",
                401,
                {
                    "error": {
                        "message": "Invalid OAuth access token.",
                        "type": "OAuthException",
                        "code": 190,
                    }
                },
            )
        match = re.fullmatch(r"/v\d+\.\d+/(\w+)(/messages)?", route)
        if match is None:
            return self._reject(
                recorded, "path", 400, {"error": {"message": "Unknown path", "code": 100}}
            )
        if match.group(2):
            if match.group(1) != WA_NUMBER_ID or recorded.method != "POST":
                return self._reject(
                    recorded,
                    "path",
                    400,
                    {"error": {"message": "Unsupported post request", "code": 100}},
                )
            payload = recorded.json
            if not (
                payload.get("messaging_product") == "whatsapp"
                and payload.get("type") == "text"
                and isinstance(payload.get("text", {}).get("body"), str)
                and str(payload.get("to", "")).isdigit()
            ):
                return self._reject(
                    recorded,
                    "payload",
                    400,
                    {"error": {"message": "(#100) Invalid parameter", "code": 100}},
                )
            if len(payload["text"]["body"]) > 4096:
                return self._reject(
                    recorded,
                    "length",
                    400,
                    {
                        "error": {
                            "message": "(#100) Param text['body'] must be at most 4096 characters.",
                            "code": 100,
                        }
                    },
                )
            wamid = f"wamid.OUT{self.counter:08d}"
            return (
                200,
                "application/json",
                json.dumps(
                    {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
                        "messages": [{"id": wamid}],
                    }
                ).encode(),
            )
        media_id = match.group(1)
        if f"wa-{media_id}" not in self.files:
            return self._reject(
                recorded,
                "media",
                404,
                {"error": {"message": "Unsupported get request", "code": 100}},
            )
        content, content_type = self.files[f"wa-{media_id}"]
        return (
            200,
            "application/json",
            json.dumps(
                {
                    "messaging_product": "whatsapp",
                    "url": f"{self.base_url}/media/wa-{media_id}",
                    "mime_type": content_type,
                    "sha256": "x",
                    "file_size": str(len(content)),
                    "id": media_id,
                }
            ).encode(),
        )

    def _telegram(self, recorded: Recorded, route: str) -> Any:
        if route.startswith("/file/bot"):
            prefix = f"/file/bot{TG_TOKEN}/"
            if not route.startswith(prefix):
                return self._reject(
                    recorded,
                    "auth",
                    404,
                    {"ok": False, "error_code": 404, "description": "Not Found"},
                )
            name = route.removeprefix(prefix)
            if f"tg-{name}" not in self.files:
                return 404, "text/plain", b"not found"
            content, content_type = self.files[f"tg-{name}"]
            return 200, content_type, content
        prefix = f"/bot{TG_TOKEN}/"
        if not route.startswith(prefix):
            return self._reject(
                recorded,
                "auth",
                401,
                {"ok": False, "error_code": 401, "description": "Unauthorized"},
            )
        method = route.removeprefix(prefix)
        payload = recorded.json if recorded.body else {}
        if method == "sendMessage":
            if not payload.get("chat_id") or not isinstance(payload.get("text"), str):
                return self._reject(
                    recorded,
                    "payload",
                    400,
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: message text is empty",
                    },
                )
            if len(payload["text"]) > 4096:
                return self._reject(
                    recorded,
                    "length",
                    400,
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: message is too long",
                    },
                )
            result = {
                "message_id": self.counter,
                "chat": {"id": int(payload["chat_id"])},
                "text": payload["text"],
            }
            return 200, "application/json", json.dumps({"ok": True, "result": result}).encode()
        if method == "getFile":
            file_id = payload.get("file_id", "")
            path = f"photos/{file_id}.jpg"
            if f"tg-{path}" not in self.files:
                return self._reject(
                    recorded,
                    "file",
                    400,
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                )
            return (
                200,
                "application/json",
                json.dumps(
                    {"ok": True, "result": {"file_id": file_id, "file_path": path}}
                ).encode(),
            )
        if method == "setWebhook":
            if not str(payload.get("url", "")).startswith("http") or not payload.get(
                "secret_token"
            ):
                return self._reject(
                    recorded,
                    "payload",
                    400,
                    {"ok": False, "error_code": 400, "description": "Bad Request: bad webhook"},
                )
            return (
                200,
                "application/json",
                json.dumps({"ok": True, "result": True, "description": "Webhook was set"}).encode(),
            )
        return self._reject(
            recorded, "method", 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        )


@pytest.fixture
def providers() -> Iterator[FakeProviders]:
    fake = FakeProviders()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, content_type, data = fake.handle(self.command, self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
