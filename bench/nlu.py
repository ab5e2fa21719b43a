"""NLU benchmark (engine environment): `make bench` runs it.

Writes bench/results/nlu.json with
- a 5-fold cross-validation of our own NLU data (intent accuracy, macro-F1, per intent),
  run by Rasa's own `rasa test nlu --cross-validation`;
- where ../shared/data/ exists, how many of the SMP2017 general-domain requests
  (almost all out of scope for us) the trained model would treat as an appeal;
- where ../shared/data/ exists, how the trained model takes real resident letters to a
  city's 问政 board (TipDM 2020 C, 455 labelled messages, their titles and their bodies):
  the share acted on as an appeal or a consultation, the share asked to rephrase
  (nlu_fallback), and the rest;
- parse latency of the trained model, one message at a time.
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the model's tokenizer is jiesu_nlu.tokenizer
RESULTS = ROOT / "bench" / "results" / "nlu.json"
MODEL = ROOT / "models" / "jiesu.tar.gz"
SMP = ROOT.parent / "shared" / "data" / "smp2017_dev770.csv"
LETTERS = ROOT.parent / "shared" / "data" / "tipdm2020c_messages_dev455.csv"
APPEAL_INTENTS = {"complain", "report", "seek_help", "emergency"}
ACTED_ON = APPEAL_INTENTS | {"suggest", "consult"}  # what the assistant turns into a ticket
FOLDS = 5


def cross_validate() -> dict[str, Any]:
    """Rasa's own k-fold cross-validation on data/nlu with config.yml."""
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        subprocess.run(
            [str(ROOT / ".venv-rasa" / "bin" / "rasa"), "test", "nlu", "--nlu", "data/nlu",
             "--config", "config.yml", "--cross-validation", "--folds", str(FOLDS),
             "--out", out, "--no-plot"],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
        report = json.loads((Path(out) / "intent_report.json").read_text(encoding="utf-8"))
        errors_file = Path(out) / "intent_errors.json"
        errors = json.loads(errors_file.read_text(encoding="utf-8")) if errors_file.exists() else []
    confusions = Counter(
        f"{e['intent']} → {e['intent_prediction']['name']}" for e in errors
    )
    per_intent = {
        name: {"precision": round(m["precision"], 4), "recall": round(m["recall"], 4),
               "f1": round(m["f1-score"], 4), "support": m["support"]}
        for name, m in sorted(report.items())
        if isinstance(m, dict) and "support" in m and not name.endswith("avg")
    }
    return {
        "folds": FOLDS,
        "examples": sum(m["support"] for m in per_intent.values()),
        "intent_accuracy": round(report["accuracy"], 4),
        "intent_macro_f1": round(report["macro avg"]["f1-score"], 4),
        "intent_weighted_f1": round(report["weighted avg"]["f1-score"], 4),
        "per_intent": per_intent,
        "top_confusions": dict(confusions.most_common(12)),
        "seconds": round(seconds, 1),
    }


async def _parse_all(texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # one debug line per parsed message otherwise

    agent = Agent.load(str(MODEL))
    parsed = []
    for text in texts:
        started = time.perf_counter()
        result = await agent.parse_message(text)
        result["_ms"] = (time.perf_counter() - started) * 1000
        parsed.append(result)
    return parsed


def _top_non_fallback(result: dict[str, Any]) -> str | None:
    for entry in result.get("intent_ranking", []):
        if entry["name"] != "nlu_fallback":
            return entry["name"]
    return None


def smp_out_of_scope(parsed: list[dict[str, Any]]) -> dict[str, Any]:
    """How the trained model treats general-domain requests (SMP2017-ECDT dev split)."""
    final = Counter(r["intent"]["name"] for r in parsed)
    raw = Counter(_top_non_fallback(r) for r in parsed)
    n = len(parsed)
    return {
        "source": "SMP2017-ECDT task 1 dev split (Zhang et al., 2017), ../shared/data",
        "n": n,
        "appeal_intents": sorted(APPEAL_INTENTS),
        "appeal_share": round(sum(final[i] for i in APPEAL_INTENTS) / n, 4),
        "appeal_share_before_fallback": round(sum(raw[i] for i in APPEAL_INTENTS) / n, 4),
        "target": "appeal_share < 0.05",
        "predicted_intents": dict(final.most_common()),
    }


def real_letters(parsed: list[dict[str, Any]]) -> dict[str, Any]:
    """How the trained model takes real resident messages (all of them appeals)."""
    final = Counter(r["intent"]["name"] for r in parsed)
    n = len(parsed)
    acted = sum(final[i] for i in ACTED_ON)
    return {
        "n": n,
        "acted_on_share": round(acted / n, 4),
        "asked_to_rephrase_share": round(final["nlu_fallback"] / n, 4),
        "other_share": round((n - acted - final["nlu_fallback"]) / n, 4),
        "predicted_intents": dict(final.most_common()),
    }


def latency(parsed: list[dict[str, Any]]) -> dict[str, Any]:
    times = sorted(r["_ms"] for r in parsed)
    return {
        "messages": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "mean_ms": round(statistics.fmean(times), 2),
    }


def _write(results: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    os.chdir(ROOT)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "cross_validation": cross_validate(),
    }
    _write(results)
    if SMP.exists():
        with SMP.open(encoding="utf-8") as handle:
            texts = [row["text"] for row in csv.DictReader(handle)]
        parsed = asyncio.run(_parse_all(texts))
        results["smp2017_out_of_scope"] = smp_out_of_scope(parsed)
        results["parse_latency"] = latency(parsed)
    else:
        print(f"{SMP} not found: skipping the out-of-scope measurement", file=sys.stderr)
    if LETTERS.exists():
        with LETTERS.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        results["real_letters"] = {
            "source": "TipDM 2020 C dev split (455 messages to a city's 问政 board), "
            "../shared/data; evaluation only",
            **{part: real_letters(asyncio.run(_parse_all([row[part] for row in rows])))
               for part in ("title", "body")},
        }
    else:
        print(f"{LETTERS} not found: skipping the real letters", file=sys.stderr)
    _write(results)
    print(json.dumps({k: v for k, v in results["cross_validation"].items() if k != "per_intent"},
                     ensure_ascii=False))
    if "smp2017_out_of_scope" in results:
        print("SMP2017 appeal share:", results["smp2017_out_of_scope"]["appeal_share"])
    if "real_letters" in results:
        print("real letters acted on (title, body):",
              results["real_letters"]["title"]["acted_on_share"],
              results["real_letters"]["body"]["acted_on_share"])


if __name__ == "__main__":
    main()
