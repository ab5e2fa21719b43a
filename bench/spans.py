"""Place and time extraction benchmark (app environment): `.venv/bin/python bench/spans.py`.

Scores the rule-based extractor (jiesu/spans.py with the sample city's
gazetteer) on bench/data/spans.csv (columns id, split, text, address, time; an
empty cell: the message names no place, or no time) and writes
bench/results/spans.json. The rules were tuned on the `dev` rows only; `test`
is scored as held out.

`span_scores(predict, rows)` is the metric, reusable for any extractor (the old
DIET model's output, say): `predict(text)` returns (address, time), each the
first value found or "" for none. The form keeps the first value of each entity,
so the first is what is scored:
- address_exact / time_exact: the share of rows whose value equals the expected
  one exactly (both empty counts as right);
- has_address precision / recall: of the rows given an address, how many should
  have one, and of those that should, how many were given one.
"""

from __future__ import annotations

import csv
import json
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jiesu.spans import Gazetteer, find_places, find_times

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "spans.csv"
AREAS = ROOT / "data" / "city" / "areas.yml"
RESULTS = ROOT / "bench" / "results" / "spans.json"

Predict = Callable[[str], tuple[str, str]]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def span_scores(predict: Predict, rows: Sequence[dict[str, str]]) -> dict[str, Any]:
    """Exact match of the first address and time, and has-an-address precision/recall."""
    address_right = time_right = given = should = both = 0
    misses = []
    for row in rows:
        address, when = predict(row["text"])
        expected_address, expected_time = row["address"].strip(), row["time"].strip()
        address_right += address == expected_address
        time_right += when == expected_time
        given += bool(address)
        should += bool(expected_address)
        both += bool(address) and bool(expected_address)
        if address != expected_address or when != expected_time:
            misses.append(
                {
                    "id": row.get("id", ""),
                    "text": row["text"],
                    "address": [expected_address, address],
                    "time": [expected_time, when],
                }
            )
    n = len(rows)
    return {
        "rows": n,
        "address_exact": _ratio(address_right, n),
        "time_exact": _ratio(time_right, n),
        "has_address": {"precision": _ratio(both, given), "recall": _ratio(both, should)},
        "misses": misses,
    }


def rule_predictor(gazetteer: Gazetteer) -> Predict:
    """The rule extractor's first address and first time of a text."""

    def predict(text: str) -> tuple[str, str]:
        places = find_places(text, gazetteer)
        times = find_times(text, gazetteer)
        return (places[0].value if places else "", times[0].value if times else "")

    return predict


def read_rows(path: Path = DATA) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _latency_ms(predict: Predict, texts: list[str], rounds: int = 20) -> dict[str, float]:
    per_text = []
    for text in texts:
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            predict(text)
            timings.append((time.perf_counter() - started) * 1000)
        per_text.append(statistics.median(timings))
    per_text.sort()
    return {
        "p50_ms": round(statistics.median(per_text), 4),
        "p95_ms": round(per_text[int(0.95 * (len(per_text) - 1))], 4),
    }


def main() -> None:
    rows = read_rows()
    gazetteer = Gazetteer.from_areas_file(AREAS)
    predict = rule_predictor(gazetteer)
    results: dict[str, Any] = {
        "extractor": "jiesu.spans (rules + data/city/areas.yml gazetteer)",
        "data": str(DATA.relative_to(ROOT)),
        "python": platform.python_version(),
        "gazetteer_names": len(gazetteer.names),
    }
    for split in ("dev", "test"):
        results[split] = span_scores(predict, [r for r in rows if r["split"] == split])
    results["latency"] = _latency_ms(predict, [r["text"] for r in rows])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for split in ("dev", "test"):
        scores = results[split]
        print(
            f"{split}: {scores['rows']} rows, address exact {scores['address_exact']}, "
            f"time exact {scores['time_exact']}, has-address P/R "
            f"{scores['has_address']['precision']}/{scores['has_address']['recall']}"
        )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
