"""The rule-based place and time extractor as a Rasa component
(jiesu_nlu/entities.py). Runs in the engine environment."""

from __future__ import annotations

import json
import subprocess

from tests.servers import RASA, ROOT

CHECK = """
import json, sys, tempfile
from pathlib import Path
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from jiesu_nlu.entities import PlaceTimeExtractor

storage = LocalModelStorage(Path(tempfile.mkdtemp()))
resource = Resource("places")
config = {"areas_file": "data/city/areas.yml"}
trained = PlaceTimeExtractor.create(config, storage, resource, None)
trained.train(TrainingData())
# what Rasa does at run time: a fresh instance from the model, names read from it
extractor = PlaceTimeExtractor.load(config, storage, resource, None)
out = []
for text, entities in json.loads(sys.argv[1]):
    message = Message(data={"text": text, "entities": entities})
    extractor.process([message])
    out.append(message.get("entities"))
print(json.dumps({"names": len(trained._names), "out": out}, ensure_ascii=False))
"""

PHONE = {
    "entity": "phone",
    "start": 15,
    "end": 26,
    "value": "13912345678",
    "extractor": "RegexEntityExtractor",
}
FIELD = {"entity": "appeal_field", "value": "address"}


def test_the_component_adds_places_and_times_and_keeps_other_entities() -> None:
    cases = [
        ["我要投诉，幸福路18号楼下的烧烤摊每天晚上吵到凌晨两点", []],
        ["柳荫小区8栋楼道堆满杂物 电话13912345678", [PHONE]],
        ['/inform{"appeal_field":"address"}', [FIELD]],
        ["13800000004", []],
        ["柳岸人家9栋漏水", []],
    ]
    completed = subprocess.run(
        [str(RASA.parent / "python"), "-c", CHECK, json.dumps(cases, ensure_ascii=False)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["names"] > 50  # the gazetteer is in the model
    complaint, with_phone, button, phone_only, known = result["out"]
    assert complaint == [
        {
            "entity": "address",
            "start": 5,
            "end": 13,
            "value": "幸福路18号楼下",
            "confidence": 1.0,
            "extractor": "PlaceTimeExtractor",
        },
        {
            "entity": "time",
            "start": 17,
            "end": 21,
            "value": "每天晚上",
            "confidence": 1.0,
            "extractor": "PlaceTimeExtractor",
        },
        {
            "entity": "time",
            "start": 23,
            "end": 27,
            "value": "凌晨两点",
            "confidence": 1.0,
            "extractor": "PlaceTimeExtractor",
        },
    ]
    assert with_phone[0] == PHONE
    assert [(e["entity"], e["value"]) for e in with_phone[1:]] == [("address", "柳荫小区8栋楼道")]
    assert button == [FIELD]
    assert phone_only == []
    assert [e["value"] for e in known] == ["柳岸人家9栋"]
