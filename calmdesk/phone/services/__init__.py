"""WRITES of the phone app: the webhook's input (``webhook``), calls (``calls``) and
callbacks (``callbacks``)."""

from .callbacks import (
    callback_attempt,
    callback_cancel,
    callback_enqueue,
    callback_miss,
    callback_record_call,
    callback_request,
    callback_start,
    callback_window_check,
    callbacks_advance,
    default_callback_team,
)
from .calls import (
    CallEventResult,
    call_event_receive,
    call_finalize,
    call_log,
    calls_sweep,
    recompute_call,
)
from .webhook import (
    CallEventInput,
    WebhookError,
    parse_call_event,
    phone_number_or_blank,
    phone_system_authenticate,
    resolve_agent,
)

__all__ = [
    "CallEventInput",
    "CallEventResult",
    "WebhookError",
    "call_event_receive",
    "call_finalize",
    "call_log",
    "callback_attempt",
    "callback_cancel",
    "callback_enqueue",
    "callback_miss",
    "callback_record_call",
    "callback_request",
    "callback_start",
    "callback_window_check",
    "callbacks_advance",
    "calls_sweep",
    "default_callback_team",
    "parse_call_event",
    "phone_number_or_blank",
    "phone_system_authenticate",
    "recompute_call",
    "resolve_agent",
]
