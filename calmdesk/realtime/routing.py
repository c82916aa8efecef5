"""Websocket routes. Consumers live in their domain app; this module only routes them."""

from django.urls import URLPattern, path

from calmdesk.chat import consumers as chat

# Paths whose consumer checks the Origin itself (used from other sites); see security.py.
PUBLIC_PREFIXES = ("/ws/chat/",)

websocket_urlpatterns: list[URLPattern] = [
    path("ws/chat/<slug:key>/", chat.VisitorConsumer.as_asgi(), name="chat-visitor"),
    path("ws/agent/ticket/<int:ticket_id>/", chat.AgentTicketConsumer.as_asgi()),
    path("ws/agent/", chat.AgentPresenceConsumer.as_asgi()),
]
