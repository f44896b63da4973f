"""Posting to the outside world (chat channels, webhooks) without reaching inside: targets that
resolve to private, loopback, link-local or reserved addresses are refused unless the setting
``OUTBOUND_ALLOW_PRIVATE`` allows them (SSRF)."""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings


class RefusedTarget(ValueError):
    """The URL is not one cogest may post to."""


def check_target(url: str) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when out of range
    except ValueError as error:
        raise RefusedTarget(f"not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget(f"not an http(s) URL: {url!r}")
    if settings.OUTBOUND_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise RefusedTarget(f"cannot resolve {parts.hostname}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise RefusedTarget(f"{parts.hostname} resolves to a non-public address {address}")


def post_json(url: str, payload: dict, *, headers: dict | None = None) -> int:
    """POST ``payload`` as JSON; the HTTP status (an HTTP error status is returned, not raised;
    a network failure raises ``OSError``)."""
    check_target(url)
    body = json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "cogest", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 - scheme checked above
            request, timeout=settings.OUTBOUND_TIMEOUT_SECONDS
        ) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def chat_payload(url: str, *, title: str, text: str, link: str) -> dict:
    """The incoming-webhook format of Slack, or of Microsoft Teams (a MessageCard)."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith("office.com") or host.endswith("office365.com") or "logic.azure" in host:
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": title,
            "title": title,
            "text": text,
            "potentialAction": [
                {"@type": "OpenUri", "name": "Open", "targets": [{"os": "default", "uri": link}]}
            ],
        }
    return {"text": f"*{title}*\n{text}\n<{link}|Open>"}
