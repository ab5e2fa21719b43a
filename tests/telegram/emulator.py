"""The telegram-test-api emulator for end-to-end tests, and a resident who talks to it."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import free_port, running, wait_until_ok

HERE = Path(__file__).resolve().parent
_chat_ids = itertools.count(int(time.time()) % 1_000_000 * 100)


@contextmanager
def emulator(log: Path) -> Iterator[str]:
    """Run the emulator on a free port; yield its address. Skips only when node is absent."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Telegram end-to-end tests need it")
    if not (HERE / "node_modules" / "telegram-test-api").is_dir():
        raise RuntimeError("the Telegram emulator is not installed: run `make setup`")
    port = free_port()
    with running([node, str(HERE / "serve.js"), str(port)], log) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_ok(f"{url}/bot0/getMe", 30, process=process)
        yield url


class EmulatedResident:
    """A Telegram user in a fresh private chat with the bot, driven through the emulator."""

    def __init__(self, url: str, token: str) -> None:
        self.chat_id = next(_chat_ids)
        self._token = token
        self._client = httpx.AsyncClient(base_url=url, timeout=10.0)
        self._user = {"id": self.chat_id, "is_bot": False, "first_name": "居民"}
        self._chat = {"id": self.chat_id, "type": "private", "first_name": "居民"}
        self.received: list[dict[str, Any]] = []

    async def say(self, text: str) -> None:
        """Send `text`; a leading /word is marked as a command, as Telegram does."""
        message: dict[str, Any] = {
            "botToken": self._token,
            "from": self._user,
            "chat": self._chat,
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        (await self._client.post("/sendMessage", json=message)).raise_for_status()

    async def press(self, title: str) -> None:
        """Press the inline button `title` of the latest message that has it."""
        for message in reversed(self.received):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == title:
                        await self._press(message, button["callback_data"])
                        return
        raise AssertionError(f"no button {title!r} in {self.received}")

    async def _press(self, message: dict[str, Any], data: str) -> None:
        callback = {
            "botToken": self._token,
            "from": self._user,
            "data": data,
            "message": {
                "message_id": message.get("message_id", 1),
                "chat": self._chat,
                "date": int(time.time()),
                "text": message.get("text", ""),
            },
        }
        (await self._client.post("/sendCallback", json=callback)).raise_for_status()

    async def wait_for(self, fragment: str, timeout: float = 60.0) -> dict[str, Any]:
        """The first new bot message containing `fragment`, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        seen = len(self.received)
        while time.monotonic() < deadline:
            response = await self._client.post(
                "/getUpdates", json={"token": self._token, "chatId": self.chat_id}
            )
            response.raise_for_status()
            self.received += [
                {**update["message"], "message_id": update["messageId"]}
                for update in response.json()["result"]
            ]
            for message in self.received[seen:]:
                if fragment in str(message.get("text", "")):
                    return message
            await asyncio.sleep(0.2)
        texts = [message.get("text") for message in self.received[seen:]]
        raise AssertionError(f"no message with {fragment!r} within {timeout} s; got {texts}")

    async def aclose(self) -> None:
        """Release the HTTP client."""
        await self._client.aclose()
