from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """An expired or missing form token: explain it in the reader's language, lose nothing."""
    return render(request, "403_csrf.html", {"back": request.path}, status=403)
