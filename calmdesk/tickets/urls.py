from django.urls import URLPattern, path  # noqa: F401

app_name = "tickets"
urlpatterns: list[URLPattern] = []
