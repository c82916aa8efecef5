"""One module per messaging provider; importing this package registers them all."""

from . import telegram, twilio, whatsapp

__all__ = ["telegram", "twilio", "whatsapp"]
