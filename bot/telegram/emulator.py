"""What python-telegram-bot 22 needs from the telegram-test-api 4.2.1 emulator's answers.

The emulator's getMe lacks `is_bot`, its dates are in milliseconds, its callback
queries lack `chat_instance`, and several methods answer with no result. Used
only with TELEGRAM_EMULATOR=true (local development and the end-to-end tests);
against the real Bot API the adapter's requests are python-telegram-bot's own.
"""

from __future__ import annotations

import json
from typing import Any

from telegram.request import HTTPXRequest, RequestData

_MILLISECONDS = 10**11  # no date in seconds is this large before the year 5138


class EmulatorRequest(HTTPXRequest):
    """An HTTPX request whose answers are patched into what Telegram would send."""

    async def do_request(  # type: ignore[override]
        self, url: str, method: str, request_data: RequestData | None = None, **timeouts: Any
    ) -> tuple[int, bytes]:
        status, body = await super().do_request(url, method, request_data, **timeouts)
        if status != 200:
            return status, body
        payload = json.loads(body or b"{}")
        name = url.rsplit("/", 1)[-1]
        if payload.get("result") is None:
            payload = {"ok": True, "result": True}
        if name == "getMe":
            payload["result"]["is_bot"] = True
        return status, json.dumps(_patched(payload)).encode()


def _patched(value: Any) -> Any:
    if isinstance(value, list):
        return [_patched(item) for item in value]
    if not isinstance(value, dict):
        return value
    fixed = {key: _patched(item) for key, item in value.items()}
    if isinstance(fixed.get("date"), int) and fixed["date"] > _MILLISECONDS:
        fixed["date"] //= 1000
    if "callback_query" in fixed:
        fixed["callback_query"].setdefault("chat_instance", "emulator")
    return fixed
