"""A Rasa stack of the fault tests' own, whose action server they kill and start again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.servers import RasaStack, Service, rasa_stack_in
from tests.web_resident import WebResident


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


def web_chat(base_url: str) -> WebResident:
    """A resident of the web chat at `base_url`, keeping the server's conversation cookie."""
    return WebResident(base_url)
