"""The one small HTTP client every provider calls through: timeouts, size limits, and
transport failures turned into ``ProviderError`` (the outbox retries those)."""

from __future__ import annotations

from typing import Any

import httpx

from .adapters import ProviderError

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0
USER_AGENT = "Calmdesk-Messaging/1"


def _timeout() -> httpx.Timeout:
    return httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)


def call(
    method: str,
    url: str,
    *,
    provider: str,
    headers: dict[str, str] | None = None,
    json: Any = None,
    data: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> httpx.Response:
    """One API call. Returns the response whatever its status (the caller reads the
    provider's error format); raises ProviderError when the provider cannot be reached."""
    try:
        with httpx.Client(timeout=_timeout(), headers={"User-Agent": USER_AGENT}) as client:
            return client.request(method, url, headers=headers, json=json, data=data, auth=auth)
    except httpx.HTTPError as exc:
        raise ProviderError(f"{provider} could not be reached: {exc}") from exc


def download(
    url: str,
    *,
    provider: str,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> tuple[bytes, str]:
    """GET a file (following redirects; credentials are not sent to another host), stopping
    at ``max_bytes``. Returns (content, content type)."""
    try:
        with (
            httpx.Client(
                timeout=_timeout(), follow_redirects=True, headers={"User-Agent": USER_AGENT}
            ) as client,
            client.stream("GET", url, headers=headers, auth=auth) as response,
        ):
            if response.status_code >= 400:
                raise ProviderError(f"{provider} media answered {response.status_code}")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise MediaTooLarge(int(declared))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise MediaTooLarge(size)
                chunks.append(chunk)
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            return b"".join(chunks), content_type
    except httpx.HTTPError as exc:
        raise ProviderError(f"{provider} media could not be fetched: {exc}") from exc


class MediaTooLarge(ProviderError):
    def __init__(self, size: int) -> None:
        super().__init__(f"attachment larger than the limit ({size} bytes or more)")
        self.size = size


def error_text(response: httpx.Response) -> str:
    """The body of an error answer, short (for messages that name the provider's code)."""
    return response.text[:300].strip()
