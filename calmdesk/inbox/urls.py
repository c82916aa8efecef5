from django.urls import URLPattern, path
from django.views.generic import RedirectView

from . import views

app_name = "inbox"
urlpatterns: list[URLPattern] = [
    path("help", views.help_form, name="help"),
    path("help/", RedirectView.as_view(pattern_name="inbox:help", query_string=True)),
    path("help/thanks/<str:token>", views.thanks, name="thanks"),
    path("t/<str:token>", views.track, name="track"),
    path("t/<str:token>/files/<int:attachment_id>", views.attachment, name="attachment"),
]

# Admin-defined short paths (/crisis, /refund): included last by the project's URLconf, so
# they never shadow a real page.
alias_urlpatterns: list[URLPattern] = [
    path("<slug:path>", views.alias_form, name="alias"),
]
