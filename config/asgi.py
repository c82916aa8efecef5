"""ASGI entry point: HTTP through Django, websockets through Channels (calmdesk.realtime)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from calmdesk.realtime.routing import PUBLIC_PREFIXES, websocket_urlpatterns  # noqa: E402
from calmdesk.realtime.security import PublicPathsOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Agent sockets: this site's hosts only. The chat widget's socket is used from the
        # customers' sites: its consumer checks the origin against the widget's allowed sites.
        "websocket": PublicPathsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
            public_prefixes=PUBLIC_PREFIXES,
        ),
    }
)
