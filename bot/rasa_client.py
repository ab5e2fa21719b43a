"""A small client for the Rasa REST channel."""

from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailableError(RuntimeError):
    """Rasa did not answer (down, timed out, or answered with an error)."""


class RasaClient:
    """Sends resident messages to the Rasa REST webhook and returns the bot's replies."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_seconds)

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

    async def aclose(self) -> None:
        """Release the connection pool."""
        await self._client.aclose()
