"""The public crisis pages (app ``crisis``), included at ``crisis`` before the inbox's short
paths: /crisis, /crisis/<slug>, /crisis/<slug>/feed.atom and /crisis/wait.txt."""

from django.urls import path
from django.views.generic import RedirectView

from . import views_public
from .feeds import IncidentUpdatesFeed

app_name = "crisis"
urlpatterns = [
    path("", views_public.crisis_index, name="index"),
    path("/", RedirectView.as_view(pattern_name="crisis:index", query_string=True)),
    path("/wait.txt", views_public.wait_text, name="wait"),
    path("/<slug:slug>", views_public.crisis_detail, name="detail"),
    path("/<slug:slug>/feed.atom", IncidentUpdatesFeed(), name="feed"),
]
