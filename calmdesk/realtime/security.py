"""Origin checks of websocket handshakes.

Agent sockets accept only this site's own hosts (``ALLOWED_HOSTS``), as Channels'
``AllowedHostsOriginValidator`` does. Public sockets used from other sites (the chat widget
embedded on a customer's site) pass through here: their consumer checks the origin against
what its own configuration allows (a widget's allowed sites).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from channels.security.websocket import AllowedHostsOriginValidator


class PublicPathsOriginValidator:
    def __init__(self, application: Any, *, public_prefixes: Iterable[str]) -> None:
        self.application = application
        self.public_prefixes = tuple(public_prefixes)
        self.same_site = AllowedHostsOriginValidator(application)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        path = str(scope.get("path", ""))
        if scope.get("type") == "websocket" and path.startswith(self.public_prefixes):
            return await self.application(scope, receive, send)
        return await self.same_site(scope, receive, send)
