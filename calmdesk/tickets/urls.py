from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="detail"),
    path("tickets/<int:ticket_id>/<slug:action>/", views.ticket_action, name="action"),
    path(
        "tickets/<int:ticket_id>/alerts/<int:alert_id>/acknowledge/",
        views.alert_ack,
        name="alert_acknowledge",
    ),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
