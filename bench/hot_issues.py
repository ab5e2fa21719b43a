"""Hot-issue benchmark (app environment): `make bench` runs it.

Runs jiesu.monitoring.hot over ../shared/data/tipdm2020c_unlabelled4326.csv (real
appeals with dates, read for measuring only) and writes bench/results/hot_issues.md:
the top 10 clusters with size, time span, places and three example titles, the run
time and the parameters. The bar is under 60 s.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
import time
from datetime import timedelta
from pathlib import Path

from jiesu.monitoring.hot import HotIssue, HotIssueParams, find_hot_issues, read_records

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "tipdm2020c_unlabelled4326.csv"
RESULTS = ROOT / "bench" / "results" / "hot_issues.md"
TOP = 10
BAR_SECONDS = 60.0


def _value(value: object) -> str:
    return f"{value.days} days" if isinstance(value, timedelta) else str(value)


def _cluster(rank: int, issue: HotIssue) -> list[str]:
    span = f"{issue.first:%Y-%m-%d} – {issue.last:%Y-%m-%d}"
    return [
        f"### {rank}. {' / '.join(issue.places) or '（未识别地点）'}: {issue.size} 条",
        "",
        f"- 时间: {span}; 最近窗口 {issue.recent} 条, 前一窗口 {issue.previous} 条",
        f"- 关键词: {'、'.join(issue.keywords)}",
        *(f"- 例: {title}" for title in issue.example_titles),
        "",
    ]


def _report(issues: list[HotIssue], records: int, seconds: float, params: HotIssueParams) -> str:
    lines = [
        "# Hot issues (热点问题) on tipdm2020c_unlabelled4326.csv",
        "",
        f"- messages: {records}; clusters of {params.min_size}+: {len(issues)}",
        f"- run time: {seconds:.1f} s (bar: under {BAR_SECONDS:.0f} s) on "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "- parameters: "
        + ", ".join(
            f"{f.name}={_value(getattr(params, f.name))}" for f in dataclasses.fields(params)
        ),
        "",
        f"## Top {TOP}",
        "",
    ]
    for rank, issue in enumerate(issues[:TOP], start=1):
        lines += _cluster(rank, issue)
    return "\n".join(lines)


def main() -> int:
    if not DATA.exists():
        print(f"跳过热点问题基准：未找到 {DATA}")
        return 0
    params = HotIssueParams()
    started = time.perf_counter()
    records = read_records(DATA)
    issues = find_hot_issues(records, params)
    seconds = time.perf_counter() - started
    RESULTS.write_text(_report(issues, len(records), seconds, params), encoding="utf-8")
    print(f"热点问题: {len(records)} 条留言, {len(issues)} 个聚类, 用时 {seconds:.1f} s")
    return 0 if seconds < BAR_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
