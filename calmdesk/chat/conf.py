"""The chat's settings, each read from Django settings with a default (set them in the
environment through ``config/settings.py``)."""

from __future__ import annotations

from django.conf import settings


def message_max_chars() -> int:
    """Longest visitor message accepted (characters)."""
    return int(getattr(settings, "CHAT_MESSAGE_MAX_CHARS", 2000))


def rate_limit() -> tuple[int, int]:
    """(messages, seconds): how many messages one visitor may send per window."""
    return (
        int(getattr(settings, "CHAT_RATE_LIMIT", 20)),
        int(getattr(settings, "CHAT_RATE_WINDOW_SECONDS", 60)),
    )


def left_after_minutes() -> int:
    """A visitor whose last tab closed and who is not back within this many minutes has left:
    the chat continues by email."""
    return int(getattr(settings, "CHAT_LEFT_AFTER_MINUTES", 3))


def agent_online_minutes() -> int:
    """An agent counts as online while seen with a live socket within this many minutes."""
    return int(getattr(settings, "CHAT_AGENT_ONLINE_MINUTES", 3))


def demo_enabled() -> bool:
    """The demo customer site at /chat/demo/: with DEBUG, or CHAT_DEMO = True."""
    return bool(getattr(settings, "CHAT_DEMO", False) or settings.DEBUG)


# How often the widget and the agent panel say they are still there (seconds); a socket not
# heard of for three beats is treated as gone by the sweep.
HEARTBEAT_SECONDS = 25
