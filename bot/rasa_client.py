"""A small client for Rasa: the REST channel, and the tracker API the handoff desk uses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote

import httpx

from jiesu.config import Settings


class RasaUnavailableError(RuntimeError):
    """Rasa did not answer (down, timed out, or answered with an error)."""


_BEARER_LIFETIME_SECONDS = 300


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def bearer_token(secret: str, now: float | None = None) -> str:
    """A short-lived JWT (HS256) for Rasa's HTTP API, signed with `secret`, which Rasa
    checks when started with `--jwt-secret` (an admin, so every conversation is reachable).

    Rasa reads its static `--auth-token` only from the query string, where httpx errors and
    access logs would print it; the JWT goes in the Authorization header instead.
    """
    issued = int(time.time() if now is None else now)
    parts = [
        _base64url(json.dumps(part, separators=(",", ":")).encode())
        for part in (
            {"alg": "HS256", "typ": "JWT"},
            {
                "user": {"username": "jiesu", "role": "admin"},
                "exp": issued + _BEARER_LIFETIME_SECONDS,
            },
        )
    ]
    signing_input = ".".join(parts).encode("ascii")
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode('ascii')}.{_base64url(signature)}"


class _BearerAuth(httpx.Auth):
    """A fresh bearer token on every request."""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {bearer_token(self._secret)}"
        yield request


class RasaClient:
    """Sends resident messages to the Rasa REST webhook and returns the bot's replies;
    reads and appends conversation events through the HTTP API (its `token` signs a bearer
    token in the Authorization header, never a URL)."""

    def __init__(self, base_url: str, timeout_seconds: float, token: str = "") -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_seconds,
            auth=_BearerAuth(token) if token else None,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RasaClient:
        """The client for the configured Rasa server (address, timeout, API token)."""
        return cls(settings.rasa_url, settings.rasa_timeout_seconds, settings.rasa_token)

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Post one message; raise `RasaUnavailableError` if Rasa cannot answer."""
        payload = {"sender": sender_id, "message": text, "metadata": metadata}
        try:
            response = await self._client.post("/webhooks/rest/webhook", json=payload)
            response.raise_for_status()
            replies: list[dict[str, Any]] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailableError(str(error)) from error
        return replies

    async def parse(self, text: str) -> dict[str, Any]:
        """What the NLU makes of `text` (intent, entities), without the assistant acting."""
        try:
            response = await self._client.post("/model/parse", json={"text": text})
            response.raise_for_status()
            parsed: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailableError(str(error)) from error
        return parsed

    async def events(self, sender_id: str) -> list[dict[str, Any]]:
        """Every event of the conversation `sender_id`, from the tracker store."""
        try:
            response = await self._client.get(
                f"/conversations/{quote(sender_id, safe=':')}/tracker",
                params={"include_events": "ALL"},
            )
            response.raise_for_status()
            events: list[dict[str, Any]] = response.json().get("events") or []
        except (httpx.HTTPError, ValueError, AttributeError) as error:
            raise RasaUnavailableError(str(error)) from error
        return events

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Append `events` to the conversation `sender_id` (pause, resume, staff messages…)."""
        try:
            response = await self._client.post(
                f"/conversations/{quote(sender_id, safe=':')}/tracker/events",
                params={"include_events": "NONE"},
                json=events,
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailableError(str(error)) from error

    async def aclose(self) -> None:
        """Release the connection pool."""
        await self._client.aclose()
