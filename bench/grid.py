"""Grid dispatch (精准派单) benchmark (app environment): `make bench` runs it.

Locates each address of bench/data/addresses.csv (written for the sample city
before the lookup was measured; `grid` is a grid id, `street:<id>` when only the
street's dispatcher can take it, or `none` for the dispatch centre) with
`City.locate`, and writes bench/results/grid.json: accuracy overall and per
case, counts per level and per match kind, the share left to the dispatch
centre, the misses, and the latency per address.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from jiesu.city import City, load_city
from jiesu.city.locate import Location

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "addresses.csv"
RESULTS = ROOT / "bench" / "results" / "grid.json"
ROUNDS = 20


def where(location: Location) -> str:
    """The location in the CSV's terms: a grid id, `street:<id>` or `none`."""
    if location.grid is not None:
        return location.grid.grid.id
    return f"street:{location.street.id}" if location.street is not None else "none"


def level(found: str) -> str:
    return "none" if found == "none" else "street" if found.startswith("street:") else "grid"


def latency(city: City, addresses: list[str]) -> dict[str, Any]:
    """Milliseconds per `locate` call, the median of `ROUNDS` passes over every address."""
    per_address: dict[str, list[float]] = defaultdict(list)
    for _ in range(ROUNDS):
        for address in addresses:
            started = time.perf_counter()
            city.locate(address)
            per_address[address].append((time.perf_counter() - started) * 1000)
    times = sorted(statistics.median(found) for found in per_address.values())
    return {
        "addresses": len(times),
        "rounds": ROUNDS,
        "p50_ms": round(statistics.median(times), 4),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 4),
    }


def main() -> None:
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    started = time.perf_counter()
    city = load_city()
    load_ms = (time.perf_counter() - started) * 1000
    per_case: dict[str, list[bool]] = defaultdict(list)
    levels: Counter[str] = Counter()
    matches: Counter[str] = Counter()
    conflicts = 0
    misses = []
    for row in rows:
        location = city.locate(row["address"])
        found = where(location)
        per_case[row["case"]].append(found == row["grid"])
        levels[level(found)] += 1
        matches[location.match.value] += 1
        conflicts += location.conflict
        if found != row["grid"]:
            misses.append({"address": row["address"], "expected": row["grid"], "found": found})
    n = len(rows)
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": f"{DATA.relative_to(ROOT)}: {n} addresses for the sample city ({city.name})",
        "n": n,
        "accuracy": round((n - len(misses)) / n, 4),
        "expected_levels": dict(Counter(level(row["grid"]) for row in rows)),
        "levels": dict(levels),
        "match_kinds": dict(matches),
        "unmatched_share": round(levels["none"] / n, 4),
        "conflicts": conflicts,
        "per_case": {
            case: {"n": len(hits), "accuracy": round(sum(hits) / len(hits), 4)}
            for case, hits in sorted(per_case.items())
        },
        "misses": misses,
        "city_load_ms": round(load_ms, 1),
        "latency": latency(city, [row["address"] for row in rows]),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    summary = {k: results[k] for k in ("n", "accuracy", "unmatched_share", "latency")}
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
