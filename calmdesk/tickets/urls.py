from django.urls import path

from calmdesk.conversations import views as conversation_views
from calmdesk.customers import views as customer_views

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="detail"),
    # One conversation per problem (before the generic action route below).
    path("tickets/<int:ticket_id>/merge/", conversation_views.ticket_merge, name="merge"),
    path("tickets/<int:ticket_id>/split/", conversation_views.ticket_split, name="split"),
    path(
        "tickets/<int:ticket_id>/suggestions/<int:suggestion_id>/merge/",
        conversation_views.suggestion_merge,
        name="suggestion_merge",
    ),
    path(
        "tickets/<int:ticket_id>/suggestions/<int:suggestion_id>/dismiss/",
        conversation_views.suggestion_dismiss,
        name="suggestion_dismiss",
    ),
    path("tickets/<int:ticket_id>/<slug:action>/", views.ticket_action, name="action"),
    path(
        "tickets/<int:ticket_id>/alerts/<int:alert_id>/acknowledge/",
        views.alert_ack,
        name="alert_acknowledge",
    ),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("customers/<int:customer_id>/", customer_views.customer_detail, name="customer"),
    path(
        "customers/<int:customer_id>/merge/",
        customer_views.customer_merge_view,
        name="customer_merge",
    ),
    path(
        "customers/merges/<int:merge_id>/undo/",
        customer_views.customer_unmerge_view,
        name="customer_unmerge",
    ),
]
