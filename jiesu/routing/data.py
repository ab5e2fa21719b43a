"""Labelled ticket CSVs and first-level evaluation metrics."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support


def read_labelled(
    path: Path, text_columns: Sequence[str], label_column: str
) -> tuple[list[str], list[str]]:
    """Texts (the `text_columns` joined by a newline) and labels of a ticket CSV."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in (*text_columns, label_column) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(missing)}")
        rows = [row for row in reader if (row[label_column] or "").strip()]
    texts = ["\n".join(row[c] or "" for c in text_columns) for row in rows]
    return texts, [row[label_column].strip() for row in rows]


def evaluate(gold: Sequence[str], predicted: Sequence[str | None]) -> dict[str, Any]:
    """n, accuracy, macro-F1 over the gold labels, and per-class precision/recall/F1."""
    guesses = [p if p is not None else "" for p in predicted]
    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, guesses, labels=labels, zero_division=0
    )
    return {
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, guesses)), 4),
        "macro_f1": round(
            float(f1_score(gold, guesses, labels=labels, average="macro", zero_division=0)), 4
        ),
        "per_class": {
            label: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
    }
