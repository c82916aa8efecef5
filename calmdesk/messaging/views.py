"""The providers' webhook: one URL per account, ``hooks/messaging/<provider>/<webhook_key>/``.

It only parses, verifies and stores: the signature is checked with the account's secret (a
wrong or missing one is refused with 403 and nothing is stored), the raw request is saved, and
the provider gets the answer it expects at once. Processing runs after commit in a task.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .adapters import WebhookRequest, get_adapter
from .models import MessagingAccount
from .services import MAX_BODY_BYTES, webhook_receive

log = logging.getLogger(__name__)

# Never stored with a webhook (they are ours or the proxy's, not the provider's).
_DROPPED_HEADERS = {"cookie", "authorization", "proxy-authorization"}


def _webhook_request(request: HttpRequest) -> WebhookRequest:
    return WebhookRequest(
        method=request.method or "POST",
        url=request.build_absolute_uri(),
        headers={
            name.lower(): value
            for name, value in request.headers.items()
            if name.lower() not in _DROPPED_HEADERS
        },
        body=request.body,
        public_url=settings.SITE_URL + request.get_full_path(),
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, provider: str, key: str) -> HttpResponse:
    account = (
        MessagingAccount.objects.filter(provider=provider, webhook_key=key, active=True)
        .select_related("team")
        .first()
    )
    if account is None:
        raise Http404
    adapter = get_adapter(provider)
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    hook_request = _webhook_request(request)
    if request.method == "GET":
        answer = adapter.handshake(account, hook_request)
        if answer is not None:
            if answer.status_code == 403:
                log.warning("messaging account %s: webhook verification refused", account.pk)
            return answer
    if not adapter.verify(account, hook_request):
        log.warning(
            "messaging account %s (%s): webhook signature missing or wrong; check the "
            "account's secret and that the URL the provider calls is %s",
            account.pk,
            provider,
            account.webhook_url,
        )
        return HttpResponse(b"Forbidden", status=403, content_type="text/plain")
    webhook_receive(account=account, request=hook_request)
    return adapter.webhook_response(account, hook_request)
