"""NLU benchmark (engine environment): `make bench` runs it.

Two systems side by side in one run, each trained cold here and scored on the same
messages: `before`, the NLU as it was at `BASELINE_REV` (config, training data, domain
and components taken from git), and `now`, this working tree. For each:

- cold `rasa train` time (an empty Rasa cache);
- terse messages acted on: `bench/data/terse.csv`, our own set of short resident
  messages (never trained on), dev and test halves apart: an appeal acted on opens the
  appeal form (any appeal type), anything else must get its own intent; the same for
  `bench/data/letters.csv`, our own long letters (80-400 characters), and for
  `bench/data/terse_fresh.csv` (split `test3`), short messages written after the test
  halves above had been scored many times, before the tuning they measure, and scored
  only at the end of it;
- real letters to a city's 问政 board (TipDM 2020 C, 455, titles and bodies) acted on:
  an appeal type or a consultation; and SMP2017 general requests taken for an appeal
  (both in ../shared/data, read for measuring only, skipped where absent);
- address and time span exact-match on `bench/data/spans.csv` (bench/spans.py);
- intent macro-F1 by Rasa's own 5-fold cross-validation of the system's training data
  (the pipeline without DIET, which classifies no intents in either system);
- parse latency, one message at a time.

Writes bench/results/nlu.json. `--now-only` (this working tree alone) and `--no-cv`
(no cross-validation) are for a quicker look: they print the summary and write nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.spans import span_scores  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "nlu.json"
BASELINE_REV = "8de1bef"  # main before the NLU of issue 19
BASELINE_FILES = [
    "config.yml",
    "domain.yml",
    "data",
    "jiesu_nlu",
    "jiesu/__init__.py",
    "jiesu/text.py",
]
# ../shared/data beside the checkout; JIESU_SHARED_DATA names it for a git worktree elsewhere.
SHARED = Path(os.environ.get("JIESU_SHARED_DATA") or ROOT.parent / "shared" / "data")
SMP = SHARED / "smp2017_dev770.csv"
LETTERS = SHARED / "tipdm2020c_messages_dev455.csv"
TERSE = ROOT / "bench" / "data" / "terse.csv"
OWN_LETTERS = ROOT / "bench" / "data" / "letters.csv"
FRESH = ROOT / "bench" / "data" / "terse_fresh.csv"
SPANS = ROOT / "bench" / "data" / "spans.csv"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
APPEAL_GROUP = frozenset({"complain", "report", "seek_help", "suggest"})
APPEAL_INTENTS = frozenset({"complain", "report", "seek_help", "emergency"})
ACTED_ON = APPEAL_INTENTS | {"suggest", "consult"}
FOLDS = 5
NOT_FOR_INTENTS = ("DIETClassifier", "CountVectorsFeaturizer", "RegexFeaturizer")

PARSE = """
import asyncio, json, logging, sys, time
from rasa.core.agent import Agent
from rasa.utils.log_utils import configure_structlog

configure_structlog(logging.WARNING)
texts = json.load(open(sys.argv[2], encoding="utf-8"))

async def main():
    agent = Agent.load(sys.argv[1])
    out = []
    for text in texts:
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        out.append({"intent": parsed["intent"]["name"],
                    "entities": [{"entity": e["entity"], "value": str(e["value"]),
                                  "text": text[e["start"]:e["end"]]}
                                 for e in parsed.get("entities", []) if "start" in e],
                    "ms": (time.perf_counter() - started) * 1000})
    json.dump(out, open(sys.argv[3], "w", encoding="utf-8"), ensure_ascii=False)

asyncio.run(main())
"""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _environment(system: Path, cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(system),
        "RASA_CACHE_DIRECTORY": str(cache),
        "RASA_TELEMETRY_ENABLED": "false",
    }


def checkout_baseline(into: Path) -> Path:
    """The files of the NLU at `BASELINE_REV`, as they were committed."""
    into.mkdir()
    archive = subprocess.run(
        ["git", "archive", BASELINE_REV, *BASELINE_FILES], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def train_cold(system: Path, out: Path) -> tuple[Path, float]:
    """Train `system` with an empty Rasa cache; the model and the seconds it took."""
    with tempfile.TemporaryDirectory() as cache:
        started = time.monotonic()
        subprocess.run(
            [str(RASA), "train", "--fixed-model-name", "nlu", "--out", str(out)],
            cwd=system,
            env=_environment(system, Path(cache)),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return out / "nlu.tar.gz", time.monotonic() - started


def parse(system: Path, model: Path, texts: list[str], work: Path) -> list[dict[str, Any]]:
    """How `model` (trained from `system`) reads each text, one at a time."""
    given, taken = work / "texts.json", work / "parsed.json"
    given.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    with tempfile.TemporaryDirectory() as cache:
        subprocess.run(
            [str(PYTHON), "-c", PARSE, str(model), str(given), str(taken)],
            cwd=system,
            env=_environment(system, Path(cache)),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    parsed: list[dict[str, Any]] = json.loads(taken.read_text(encoding="utf-8"))
    return parsed


def cross_validate(system: Path, work: Path) -> dict[str, Any]:
    """Rasa's own k-fold cross-validation of the system's intents."""
    config = yaml.safe_load((system / "config.yml").read_text(encoding="utf-8"))
    config["pipeline"] = [
        step for step in config["pipeline"] if step["name"] not in NOT_FOR_INTENTS
    ]
    intents_only = work / "config-intents.yml"
    intents_only.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    out = work / "cv"
    with tempfile.TemporaryDirectory() as cache:
        subprocess.run(
            [
                str(RASA),
                "test",
                "nlu",
                "--nlu",
                "data/nlu",
                "--config",
                str(intents_only),
                "--cross-validation",
                "--folds",
                str(FOLDS),
                "--out",
                str(out),
                "--no-plot",
            ],
            cwd=system,
            env=_environment(system, Path(cache)),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    errors_file = out / "intent_errors.json"
    errors = json.loads(errors_file.read_text(encoding="utf-8")) if errors_file.exists() else []
    confusions = Counter(f"{e['intent']} → {e['intent_prediction']['name']}" for e in errors)
    per_intent = {
        name: round(m["f1-score"], 4)
        for name, m in sorted(report.items())
        if isinstance(m, dict) and "support" in m and not name.endswith("avg")
    }
    return {
        "folds": FOLDS,
        "examples": report["macro avg"]["support"],
        "intent_accuracy": round(report["accuracy"], 4),
        "intent_macro_f1": round(report["macro avg"]["f1-score"], 4),
        "f1_per_intent": per_intent,
        "top_confusions": dict(confusions.most_common(8)),
    }


def acted_on(expected: str, predicted: str) -> bool:
    """An appeal acted on opens the appeal form (the summary asks the type back);
    anything else must get its own intent."""
    if expected in APPEAL_GROUP:
        return predicted in APPEAL_GROUP
    return predicted == expected


def split_scores(
    rows: list[dict[str, str]], parsed: list[dict[str, Any]], group: str
) -> dict[str, Any]:
    """Acted on, per split of one of our own sets, overall and by the rows' `group` column."""
    scores: dict[str, Any] = {}
    for split in dict.fromkeys(row["split"] for row in rows):
        pairs = [(row, p) for row, p in zip(rows, parsed, strict=True) if row["split"] == split]
        appeals = [(row, p) for row, p in pairs if row["intent"] in APPEAL_GROUP]
        groups: dict[str, list[bool]] = {}
        for row, p in pairs:
            groups.setdefault(row[group], []).append(acted_on(row["intent"], p["intent"]))
        scores[split] = {
            "n": len(pairs),
            "acted_on": round(
                sum(acted_on(r["intent"], p["intent"]) for r, p in pairs) / len(pairs), 4
            ),
            "appeals_opening_the_form": round(
                sum(p["intent"] in APPEAL_GROUP for _, p in appeals) / max(len(appeals), 1), 4
            ),
            "exact_intent": round(
                sum(r["intent"] == p["intent"] for r, p in pairs) / len(pairs), 4
            ),
            "asked_to_rephrase": round(
                sum(p["intent"] == "nlu_fallback" for _, p in pairs) / len(pairs), 4
            ),
            f"acted_on_by_{group}": {
                name: round(sum(hits) / len(hits), 4) for name, hits in sorted(groups.items())
            },
        }
    return scores


def letters_scores(parsed: list[dict[str, Any]]) -> dict[str, Any]:
    final = Counter(p["intent"] for p in parsed)
    n = len(parsed)
    return {
        "n": n,
        "acted_on_share": round(sum(final[i] for i in ACTED_ON) / n, 4),
        "asked_to_rephrase_share": round(final["nlu_fallback"] / n, 4),
        "predicted_intents": dict(final.most_common()),
    }


def smp_scores(parsed: list[dict[str, Any]]) -> dict[str, Any]:
    final = Counter(p["intent"] for p in parsed)
    return {
        "n": len(parsed),
        "appeal_share": round(sum(final[i] for i in APPEAL_INTENTS) / len(parsed), 4),
        "predicted_intents": dict(final.most_common(8)),
    }


def latency(parsed: list[dict[str, Any]]) -> dict[str, float]:
    times = sorted(p["ms"] for p in parsed)
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
    }


def first_entity(parsed: dict[str, Any], name: str) -> str:
    """The span of the first `name` entity, as the form keeps it ("" if none)."""
    return next((e["text"] for e in parsed["entities"] if e["entity"] == name), "")


def measure(system: Path, work: Path, cv: bool = True) -> dict[str, Any]:
    model, seconds = train_cold(system, work / "models")
    result: dict[str, Any] = {"cold_train_seconds": round(seconds, 1)}
    terse, spans = _rows(TERSE), _rows(SPANS)
    parsed = parse(system, model, [r["text"] for r in terse], work)
    result["terse"] = split_scores(terse, parsed, "style")
    everything = list(parsed)
    fresh = _rows(FRESH)
    parsed = parse(system, model, [r["text"] for r in fresh], work)
    result["terse_fresh"] = split_scores(fresh, parsed, "style")
    everything += parsed
    letters = _rows(OWN_LETTERS)
    parsed = parse(system, model, [r["text"] for r in letters], work)
    result["own_letters"] = split_scores(letters, parsed, "intent")
    everything += parsed
    parsed = parse(system, model, [r["text"] for r in spans], work)
    by_text = dict(zip((r["text"] for r in spans), parsed, strict=True))
    result["spans"] = {
        split: span_scores(
            lambda text: (
                first_entity(by_text[text], "address"),
                first_entity(by_text[text], "time"),
            ),
            [r for r in spans if r["split"] == split],
        )
        for split in ("dev", "test")
    }
    if LETTERS.exists():
        real = _rows(LETTERS)
        result["real_letters"] = {}
        for part in ("title", "body"):
            parsed = parse(system, model, [r[part] for r in real], work)
            result["real_letters"][part] = letters_scores(parsed)
            everything += parsed
    if SMP.exists():
        parsed = parse(system, model, [r["text"] for r in _rows(SMP)], work)
        result["smp2017"] = smp_scores(parsed)
        everything += parsed
    result["parse_latency"] = {"messages": len(everything), **latency(everything)}
    if cv:
        result["cross_validation"] = cross_validate(system, work)
    return result


def summary(r: dict[str, Any]) -> dict[str, Any]:
    """The figures the issue's bars are about."""
    return {
        "train_s": r["cold_train_seconds"],
        "terse_test": r["terse"]["test"]["acted_on"],
        "fresh_test3": r["terse_fresh"]["test3"]["acted_on"],
        "own_letters_test": r["own_letters"]["test"]["acted_on"],
        "titles": r.get("real_letters", {}).get("title", {}).get("acted_on_share"),
        "bodies": r.get("real_letters", {}).get("body", {}).get("acted_on_share"),
        "cv_f1": r.get("cross_validation", {}).get("intent_macro_f1"),
        "smp": r.get("smp2017", {}).get("appeal_share"),
        "address_em_test": r["spans"]["test"].get("address_exact"),
        "p95_ms": r["parse_latency"]["p95_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--now-only", action="store_true", help="skip the baseline")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    args = parser.parse_args()
    if args.now_only or args.no_cv:
        with tempfile.TemporaryDirectory() as before_dir, tempfile.TemporaryDirectory() as now_dir:
            systems = {"now": (ROOT, Path(now_dir))}
            if not args.now_only:
                before = checkout_baseline(Path(before_dir) / "system")
                systems = {"before": (before, Path(before_dir)), **systems}
            for name, (system, work) in systems.items():
                print(name, json.dumps(summary(measure(system, work, cv=not args.no_cv))))
        return
    if not LETTERS.exists() or not SMP.exists():
        print(f"{SHARED} not found: real letters and SMP2017 are not measured", file=sys.stderr)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "baseline_rev": BASELINE_REV,
        "sources": {
            "terse": "bench/data/terse.csv (our own; dev half tuned on, test half scored)",
            "own_letters": "bench/data/letters.csv (our own long letters; as terse)",
            "terse_fresh": "bench/data/terse_fresh.csv (our own; written before the tuning "
            "it measures, scored once at its end)",
            "spans": "bench/data/spans.csv (our own)",
            "real_letters": "TipDM 2020 C dev split, ../shared/data, evaluation only",
            "smp2017": "SMP2017-ECDT task 1 dev split (Zhang et al., 2017), ../shared/data",
        },
    }
    with tempfile.TemporaryDirectory() as before_dir, tempfile.TemporaryDirectory() as now_dir:
        before = checkout_baseline(Path(before_dir) / "system")
        results["before"] = measure(before, Path(before_dir))
        results["now"] = measure(ROOT, Path(now_dir))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for name in ("before", "now"):
        print(name, json.dumps(summary(results[name]), ensure_ascii=False))


if __name__ == "__main__":
    main()
