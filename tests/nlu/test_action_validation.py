"""The compiled validator of action server responses (jiesu_nlu/action_validation.py)
accepts and rejects what Rasa's own validation does. Runs in the engine environment."""

from __future__ import annotations

import json
import subprocess

from tests.servers import RASA, ROOT

CHECK = """
import json, sys
from jsonschema import ValidationError, validate
import jiesu_nlu  # installs the compiled validator, as loading the model does
from rasa.core.actions.action import RemoteAction
from jiesu_nlu.action_validation import validate_action_result

action = RemoteAction("action_file_appeal", None)
outcomes = []
for response in json.loads(sys.argv[1]):
    try:
        validate(response, RemoteAction.action_response_format_spec())
        rasa = "valid"
    except ValidationError as error:
        rasa = error.message
    try:
        ours = "valid" if action._validate_action_result(response) else "invalid"
    except ValidationError as error:
        ours = error.message
    outcomes.append([rasa, ours])
print(json.dumps({
    "installed": RemoteAction._validate_action_result is validate_action_result,
    "outcomes": outcomes,
}))
"""

RESPONSES = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "address", "value": "滨河路"}],
        "responses": [
            {"text": "请问具体位置？", "buttons": [{"title": "匿名", "payload": "/deny"}]}
        ],
    },
    {"events": "not a list", "responses": []},
    {"events": [{"name": "no event type"}], "responses": []},
    {"events": [{"event": "no such event"}], "responses": []},
    {"events": [{"event": "slot", "name": "phone", "timestamp": "yesterday"}], "responses": []},
]


def test_responses_are_judged_as_rasa_judges_them() -> None:
    completed = subprocess.run(
        [str(RASA.parent / "python"), "-c", CHECK, json.dumps(RESPONSES, ensure_ascii=False)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["installed"]
    outcomes = result["outcomes"]
    assert [rasa for rasa, _ in outcomes][:2] == ["valid", "valid"]
    assert all(rasa != "valid" for rasa, _ in outcomes[2:])
    for rasa, ours in outcomes:
        assert ours == rasa if rasa == "valid" else ours.startswith(rasa + ". Failed to validate")
