"""A Rasa stack of the fault tests' own, whose action server they kill and start again."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.servers import RasaStack, Service, rasa_stack_in


@dataclass(frozen=True)
class FaultStack:
    """The running stack, and its action server to kill."""

    rasa: RasaStack
    actions: Service


@pytest.fixture(scope="package")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    """Rasa and an action server of their own (killing the shared one would break the
    other tests), with their own app database."""
    with rasa_stack_in(tmp_path_factory.mktemp("faults")) as (stack, actions):
        yield FaultStack(stack, actions)


def web_chat(base_url: str, chat_id: str) -> Callable[[str], str]:
    """A resident of the web chat at `base_url`: sends a text, returns the replies' text."""

    def says(text: str) -> str:
        response = httpx.post(f"{base_url}/api/chat", timeout=60.0, json={
            "chat_id": chat_id, "message_id": uuid.uuid4().hex, "text": text})
        response.raise_for_status()
        return "\n".join(reply.get("text", "") for reply in response.json()["replies"])

    return says
