"""Every text the widget shows, translated on the server (gettext) for the visitor's language."""

from __future__ import annotations

from django.utils.translation import gettext as _


def widget_texts() -> dict[str, str]:
    return {
        "open": _("Chat with us"),
        "close": _("Close the chat"),
        "title": _("Chat with us"),
        "wait": _("Expected wait for an agent: %(wait)s."),
        "busy": _(
            "Our agents are busy right now. Leave your email address: we answer here while "
            "you stay, and by email if you leave."
        ),
        "online": _("An agent will answer you here."),
        "name": _("Your name"),
        "email": _("Your email address"),
        "email_optional": _("Your email address (optional)"),
        "first": _("How can we help?"),
        "start": _("Start the chat"),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "end": _("End the chat"),
        "ended": _("This chat has ended."),
        "new_chat": _("Start a new chat"),
        "typing": _("%(name)s is typing…"),
        "agent": _("Agent"),
        "you": _("You"),
        "read": _("Read"),
        "sending": _("Sending…"),
        "failed": _("Not sent. Tap to try again."),
        "offline": _("Connection lost. Reconnecting…"),
        "waiting": _("You are in the queue: the first free agent will answer here."),
        "email_later": _("Leave your email address to get our answer by email:"),
        "email_saved": _("Thank you: if you leave, we will answer by email."),
        "save": _("Save"),
        "too_long": _("Your message is too long."),
    }
