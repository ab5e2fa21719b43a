"""The base of the tests' stand-ins for the Rasa client (bot.gateway.Assistant): a stand-in
answers messages (`send`); the handoff desk's tracker API is refused, as no conversation
is handed to a person in the tests that use one."""

from __future__ import annotations

from typing import Any

REFUSED = "no conversation is handed to a person in these tests"


class RasaStandIn:
    """The tracker API, failing the test if it is reached; subclasses add `send`."""

    async def parse(self, text: str) -> dict[str, Any]:
        raise AssertionError(REFUSED)

    async def events(self, sender_id: str) -> list[dict[str, Any]]:
        raise AssertionError(REFUSED)

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        raise AssertionError(REFUSED)
