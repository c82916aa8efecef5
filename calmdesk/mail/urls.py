from django.urls import URLPattern, URLResolver, path

from . import views
from .webhooks import webhook_urlpatterns

app_name = "mail"

urlpatterns: list[URLPattern | URLResolver] = [
    path("agent/mail/health/", views.health, name="health"),
    path("agent/mail/inbound/<int:inbound_id>/replay", views.replay, name="replay"),
    path("agent/mail/inbound/<int:inbound_id>/raw", views.raw, name="raw"),
]
# The providers' inbound webhooks (hooks/email/anymail/<esp>/inbound/), owned by webhooks.py.
urlpatterns += webhook_urlpatterns
