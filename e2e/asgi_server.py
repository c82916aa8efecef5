"""An ASGI server for browser tests that need websockets: uvicorn with ``config.asgi`` in a
background thread on a free port, against the test database (pytest-django's ``live_server``
is WSGI only). Use with ``@pytest.mark.django_db(transaction=True)``.

Also a tiny "customer site" on another port (another origin) that embeds a page of HTML.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AsgiServer:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@pytest.fixture
def asgi_server(transactional_db: None, settings: Any) -> Iterator[AsgiServer]:
    import uvicorn
    from channels.layers import channel_layers
    from django.db import connections

    from config.asgi import application

    # A channel layer of this server's own: the layer keeps state bound to the event loop of
    # the consumers receiving on it (channels_redis's receive lock), and none of an earlier
    # test's server (another loop) may carry over. A CI run once failed with that lock "bound
    # to a different event loop" while the widget's consumer received.
    channel_layers.backends = {}
    # The server's threads close their connections after each request and socket call, so
    # the test database can be dropped at the end (PostgreSQL refuses while one is open).
    max_age = connections.settings["default"].get("CONN_MAX_AGE", 0)
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, name="asgi-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the ASGI test server did not start")
        time.sleep(0.05)
    settings.SITE_URL = f"http://127.0.0.1:{port}"
    try:
        yield AsgiServer("127.0.0.1", port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        channel_layers.backends = {}
        connections.settings["default"]["CONN_MAX_AGE"] = max_age


class HostSite:
    """Serves one HTML page at / (the customer's own site)."""

    def __init__(self) -> None:
        self.html = "<!doctype html><title>Shop</title><p>Hello</p>"
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


@pytest.fixture
def host_site() -> Iterator[HostSite]:
    site = HostSite()
    site.thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()
