"""Broadcast screens under /agent/broadcasts/ and the public opt-out page /optout/<token>.

Included once at the site root (``path("", include(...))``, before the public catch-all), so
both prefixes live in this one file.
"""

from django.urls import path

from . import views_broadcasts as views

app_name = "broadcasts"

urlpatterns = [
    path("agent/broadcasts/", views.broadcast_list, name="list"),
    path("agent/broadcasts/new/", views.broadcast_compose, name="compose"),
    path("agent/broadcasts/<int:pk>/", views.broadcast_detail, name="detail"),
    path("agent/broadcasts/<int:pk>/edit/", views.broadcast_edit, name="edit"),
    path("agent/broadcasts/<int:pk>/progress/", views.broadcast_progress, name="progress"),
    path("agent/broadcasts/<int:pk>/recipients/", views.broadcast_recipients, name="recipients"),
    path("agent/broadcasts/<int:pk>/test/", views.broadcast_test, name="test"),
    path("agent/broadcasts/<int:pk>/start/", views.broadcast_start, name="start"),
    path("agent/broadcasts/<int:pk>/<slug:action>/", views.broadcast_action, name="action"),
    path("optout/<str:token>", views.optout, name="optout"),
]
