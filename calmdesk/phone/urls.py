from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "phone"

urlpatterns: list[URLPattern | URLResolver] = [
    # The phone systems' webhook.
    path("hooks/phone/events/", views.phone_events, name="events"),
    # Agents.
    path("agent/calls/", views.calls, name="calls"),
    path("agent/calls/new/", views.call_new, name="call_new"),
    path("agent/calls/<int:call_id>/", views.call_detail, name="call"),
    path("agent/calls/callbacks/", views.callbacks, name="callbacks"),
    path(
        "agent/calls/callbacks/<int:callback_id>/<slug:action>/",
        views.callback_action,
        name="callback_action",
    ),
    path("agent/calls/tickets/<int:ticket_id>/log/", views.ticket_log_call, name="ticket_log"),
    path(
        "agent/calls/tickets/<int:ticket_id>/callback/",
        views.ticket_schedule_callback,
        name="ticket_callback",
    ),
    # Customers.
    path("callback/", views.callback_page, name="callback"),
    path("callback/t/<str:token>/", views.tracking_callback, name="tracking_callback"),
    path(
        "callback/t/<str:token>/<int:callback_id>/cancel/",
        views.tracking_callback_cancel,
        name="tracking_callback_cancel",
    ),
]
