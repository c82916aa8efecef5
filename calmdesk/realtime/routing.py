"""Websocket routes (consumers arrive with live chat and live queue updates)."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
