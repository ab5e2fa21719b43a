"""Validate action server responses with a validator compiled once.

Rasa 3.6 checks every action server response with `jsonschema.validate`, which first
checks the response schema itself against the JSON Schema meta-schema, on every call.
Measured with py-spy under `bench/load.py`, that re-check was half of the Rasa server's
CPU per message: every appeal-form turn calls the action server two or three times
(slot validation, the next question, filing). `install()` replaces the method with one
that validates against the same schema, raising the same `ValidationError` with Rasa's
message; only the schema's own check is done once instead of per response.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def response_validator() -> Validator:
    """The validator of `RemoteAction.action_response_format_spec()`, its schema checked."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` without re-checking the schema each time."""
    error = best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    if isinstance(error, ValidationError):
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
    raise error


def install() -> None:
    """Make Rasa's remote actions validate responses with the compiled validator."""
    RemoteAction._validate_action_result = validate_action_result
