"""An in-process Bot API for unit tests: records every call and answers like Telegram."""

from __future__ import annotations

import json
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 666, "is_bot": True, "first_name": "接诉", "username": "jiesu_bot"}


class FakeBotApi(BaseRequest):
    """Answers `method` with `errors[method]` (status, description, parameters) when set."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: dict[str, tuple[int, str, dict[str, Any]]] = {}
        self._message_id = 0
        self.file_bytes = b"\xff\xd8photo"  # what any file download returns

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float:
        return 1.0

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """The parameters of every call of `method`, JSON values decoded."""
        return [params for name, params in self.calls if name == method]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *timeouts: Any,
        **named_timeouts: Any,
    ) -> tuple[int, bytes]:
        """Telegram's answer to one call (timeouts are not simulated)."""
        if "/file/bot" in url:
            return 200, self.file_bytes
        name = url.rsplit("/", 1)[-1]
        params = {
            key: _decoded(value)
            for key, value in (request_data.json_parameters if request_data else {}).items()
        }
        self.calls.append((name, params))
        if name in self.errors:
            status, description, parameters = self.errors[name]
            body = {
                "ok": False,
                "error_code": status,
                "description": description,
                "parameters": parameters,
            }
            return status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "getFile":
            return {
                "file_id": params["file_id"],
                "file_unique_id": "u",
                "file_size": len(self.file_bytes),
                "file_path": "photos/file_1.jpg",
            }
        if name in ("sendMessage", "sendPhoto"):
            self._message_id += 1
            return {
                "message_id": self._message_id,
                "date": 1_800_000_000,
                "from": BOT_USER,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text", ""),
            }
        return True


def _decoded(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
