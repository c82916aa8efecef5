from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _

from .api import api
from .errors import error_body

app_name = "api"


def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Unknown paths under /api/ answer JSON too."""
    return JsonResponse(error_body(detail=_("Not found."), code="not_found"), status=404)


urlpatterns: list[URLPattern | URLResolver] = [
    *api.urls[0],
    re_path(r"^(?P<path>.*)$", not_found, name="not-found"),
]
