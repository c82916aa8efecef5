from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", include("calmdesk.api.urls")),
    path("accounts/", include("calmdesk.accounts.urls")),
    path("agent/incidents/", include("calmdesk.reporting.urls")),
    path("agent/incidents/", include("calmdesk.incidents.urls")),
    path("agent/imports/", include("calmdesk.customers.urls")),
    path("agent/", include("calmdesk.tickets.urls")),
    path("crisis", include("calmdesk.incidents.urls_public")),
    path("", include("calmdesk.incidents.urls_broadcasts")),  # /agent/broadcasts/, /optout/
    # Channels (issue 3). Prefixes: agent/mail/, hooks/email/ · chat/, agent/chat/ ·
    # hooks/messaging/ · hooks/phone/, agent/calls/, callback/.
    path("", include("calmdesk.mail.urls")),
    path("", include("calmdesk.chat.urls")),
    path("", include("calmdesk.messaging.urls")),
    path("", include("calmdesk.phone.urls")),
    # Public side last: it owns /help, /t/<token> and the admin-defined short aliases (/<path>).
    path("", include("calmdesk.inbox.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
