"""Included under ``agent/incidents/`` (before the incident lead UI's include of that prefix)."""

from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("<slug:slug>/dashboard/", views.incident_dashboard, name="incident_dashboard"),
]
