"""Writes of the messaging app: store a webhook, process it, send replies and acknowledgements,
apply delivery receipts.

Inbound: the view verifies the signature and calls ``webhook_receive`` (the raw request is
stored, processing is queued after commit). ``webhook_process`` parses the stored request with
the provider's adapter and hands every customer message to ``conversations.contact_receive``
— joining the handle's open conversation on that channel (``selectors.conversation_ticket``),
else letting the hub's de-duplication place it. A failure keeps the row (status failed) for
the periodic retry and the admin's replay; every message is idempotent on the provider's id.

Outbound: the reply senders registered in ``apps.py`` queue an outbox row on the account the
customer last wrote to; ``core.outbox._send`` calls ``outbox_send`` to deliver it.
"""

from .accounts import account_set_webhook, credentials_complete
from .inbound import (
    ACK_KIND,
    MAX_ATTEMPTS,
    MAX_BODY_BYTES,
    ack_queue,
    inbound_receive,
    webhook_process,
    webhook_receive,
    webhook_replay,
    webhook_sweep,
)
from .outbound import (
    REPLY_KIND,
    Deferred,
    outbox_send,
    reply_queue,
    reply_sender,
    split_text,
    status_apply,
)

__all__ = [
    "ACK_KIND",
    "MAX_ATTEMPTS",
    "MAX_BODY_BYTES",
    "REPLY_KIND",
    "Deferred",
    "account_set_webhook",
    "ack_queue",
    "credentials_complete",
    "inbound_receive",
    "outbox_send",
    "reply_queue",
    "reply_sender",
    "split_text",
    "status_apply",
    "webhook_process",
    "webhook_receive",
    "webhook_replay",
    "webhook_sweep",
]
