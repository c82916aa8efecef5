"""The lead's incident screens, under /agent/incidents/ (app ``incidents``)."""

from django.urls import path

from . import views_lead

app_name = "incidents"
urlpatterns = [
    path("", views_lead.incident_list_view, name="list"),
    path("new/", views_lead.incident_new, name="new"),
    path("<slug:slug>/", views_lead.incident_detail, name="detail"),
    path("<slug:slug>/edit/", views_lead.incident_edit, name="edit"),
    path("<slug:slug>/status/", views_lead.incident_status, name="status"),
    path("<slug:slug>/updates/", views_lead.incident_update, name="post_update"),
]
