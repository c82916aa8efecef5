"""One module per messaging provider; importing this package registers them all."""

from . import telegram, twilio, whatsapp  # noqa: F401

__all__ = ["telegram", "twilio", "whatsapp"]
