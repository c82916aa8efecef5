from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from calmdesk.inbox.urls import alias_urlpatterns

urlpatterns = [
    # The public intake first: /help and /t/<token> are what a surge hits, and Django tries
    # the patterns in order. Nothing else starts with help or t/.
    path("", include("calmdesk.inbox.urls")),
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
    # Last: the admin-defined short aliases of the form (/<path>).
    path("", include((alias_urlpatterns, "inbox_aliases"))),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
