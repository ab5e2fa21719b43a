"""The intent classifier's fast TF-IDF (jiesu_nlu/classifier.py) gives scikit-learn's
numbers. Runs in the engine environment."""

from __future__ import annotations

import subprocess

from tests.servers import RASA, ROOT

CHECK = """
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from jiesu_nlu.classifier import tfidf

seen = ["小区门口的路灯坏了", "楼上每天晚上装修很吵", "办居住证要带什么材料", "路灯 路灯 又坏了"]
unseen = ["路灯坏了三天了，没人修", "完全没见过的话😀", "", "吵吵吵吵"]
vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
vectorizer.fit(seen)
fast = tfidf(vectorizer, vectorizer.idf_, unseen)
assert fast.shape == (len(unseen), len(vectorizer.vocabulary_))
assert fast.nnz > 0
assert np.allclose(fast.toarray(), vectorizer.transform(unseen).toarray(), rtol=0, atol=1e-12)
print("same")
"""


def engine_output(code: str) -> list[str]:
    """The lines `code` prints, run in the engine environment."""
    completed = subprocess.run(
        [str(RASA.parent / "python"), "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip().splitlines()


def test_fast_tfidf_gives_scikit_learns_numbers() -> None:
    assert engine_output(CHECK)[-1] == "same"


ASK = """
from rasa.shared.nlu.training_data.message import Message
from jiesu_nlu.classifier import ask_of
from jiesu_nlu.tokenizer import JiesuTokenizer

tokenizer = JiesuTokenizer(JiesuTokenizer.get_default_config(), None, None)
for text in ["我是外地户口，在这边打工三年了。孩子明年上小学。请问需要准备什么材料？",
             "楼下烧烤店每天吵到凌晨，找过物业没用。恳请有关部门尽快处理，谢谢！",
             "路灯坏了"]:
    message = Message(data={"text": text})
    tokenizer.process([message])
    words, chars = ask_of(message)
    print(chars + "|" + "".join(words))
"""


def test_the_ask_is_the_last_sentences_that_say_enough() -> None:
    asks = [line.split("|") for line in engine_output(ASK)[-3:]]
    assert asks == [
        ["孩子明年上小学。请问需要准备什么材料?"] * 2,  # the last alone is short
        ["恳请有关部门尽快处理,谢谢!"] * 2,
        ["路灯坏了"] * 2,
    ]


SOUNDS = """
from jiesu_nlu.classifier import _syllables

for text in ["路灯怀了", "路灯坏了", "河里有死于18条", "A栋🙂"]:
    print(" ".join(_syllables(text)))
"""


def test_a_homophone_typo_sounds_like_what_was_meant() -> None:
    typo, meant, fish, mixed = engine_output(SOUNDS)[-4:]
    assert typo == meant == "lu deng huai le lu_deng deng_huai huai_le"
    assert fish == "he li you si yu tiao he_li li_you you_si si_yu yu_tiao"
    assert mixed == "dong"


LENGTH = """
import sys, tempfile
from pathlib import Path
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from jiesu_nlu.classifier import LinearIntentClassifier
from jiesu_nlu.tokenizer import JiesuTokenizer

letter = "楼下饭店每天从早到晚排油烟，窗户都不敢开，找了物业好几次也没有人来处理，希望尽快解决"
examples = {"thank": ["谢谢", "多谢", "谢谢你", "感谢感谢"],
            "complain": [letter, "路灯坏了", "垃圾没人收", letter.replace("饭店", "烧烤店")]}
tokenizer = JiesuTokenizer(JiesuTokenizer.get_default_config(), None, None)
for factor in (2.0, 0.0):
    with tempfile.TemporaryDirectory() as storage:
        classifier = LinearIntentClassifier(
            {"length_factor": factor}, LocalModelStorage(Path(storage)), Resource("c"))
        messages = [Message(data={"text": t, "intent": i})
                    for i, ts in examples.items() for t in ts]
        data = TrainingData(training_examples=messages)
        tokenizer.process_training_data(data)
        classifier.train(data)
        tests = [Message(data={"text": t}) for t in ["谢谢" * 20, "谢谢你们"]]
        tokenizer.process(tests)
        classifier.process(tests)
        print(factor, " ".join(m.get("intent")["name"] for m in tests))
"""


def test_a_long_message_gets_no_intent_whose_examples_are_all_short() -> None:
    with_rule, without = engine_output(LENGTH)[-2:]
    assert with_rule == "2.0 complain thank"
    assert without == "0.0 thank thank"  # what the rule changes
