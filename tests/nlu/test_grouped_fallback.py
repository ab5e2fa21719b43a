"""The fallback classifier that reads the appeal types as one group
(jiesu_nlu/fallback.py). Runs in the engine environment."""

from __future__ import annotations

import json
import subprocess

from tests.servers import RASA, ROOT

CHECK = """
import json, sys
from rasa.shared.nlu.training_data.message import Message
from jiesu_nlu.fallback import GroupedFallbackClassifier

classifier = GroupedFallbackClassifier({
    "threshold": 0.45, "ambiguity_threshold": 0.05,
    "groups": [["complain", "report", "seek_help", "suggest"]],
})
decided = []
for ranking in json.loads(sys.argv[1]):
    ranked = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    message = Message(data={"text": "x", "intent": dict(ranked[0]), "intent_ranking": ranked})
    classifier.process([message])
    decided.append(message.get("intent")["name"])
print(json.dumps(decided))
"""

CASES = [
    # a letter split between two appeal types: an appeal, its top type kept
    ([("complain", 0.30), ("report", 0.28), ("consult", 0.10)], "complain"),
    # clear on its own, as with Rasa's classifier
    ([("consult", 0.80), ("complain", 0.10)], "consult"),
    # low outside any group: asked to rephrase, as with Rasa's classifier
    ([("consult", 0.30), ("out_of_scope", 0.25), ("complain", 0.10)], "nlu_fallback"),
    # the group is not sure enough either
    ([("complain", 0.20), ("report", 0.15), ("consult", 0.12)], "nlu_fallback"),
    # the group leads, but not by enough over an intent outside it
    ([("complain", 0.46), ("consult", 0.44), ("report", 0.01)], "nlu_fallback"),
    # a top intent outside the group is not helped by the group
    ([("consult", 0.40), ("complain", 0.30), ("report", 0.25)], "nlu_fallback"),
]


def test_appeal_types_count_as_one_group_and_the_rest_falls_back_as_before() -> None:
    rankings = [ranking for ranking, _ in CASES]
    completed = subprocess.run(
        [str(RASA.parent / "python"), "-c", CHECK, json.dumps(rankings)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    decided = json.loads(completed.stdout.strip().splitlines()[-1])
    assert decided == [expected for _, expected in CASES]
