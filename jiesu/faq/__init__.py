"""Policy questions answered from the knowledge base (政策问答).

Public API, used by the Rasa actions and the CLI:

- `search(question, limit=3) -> SearchResult`: `answered` and `matches` (best first);
- `record_feedback(session, entry_id, sender_id, helpful, question)`;
- `record_unanswered(session, sender_id, question, result)`;
- `load_entries()` and `sync_entries(session, items)`: the YAML seed into the database.
"""

from jiesu.faq.entries import FaqDataError, FaqItem, load_entries
from jiesu.faq.records import record_feedback, record_unanswered
from jiesu.faq.retrieval import THRESHOLD, Match, SearchResult, search
from jiesu.faq.store import sync_entries

__all__ = [
    "THRESHOLD",
    "FaqDataError",
    "FaqItem",
    "Match",
    "SearchResult",
    "load_entries",
    "record_feedback",
    "record_unanswered",
    "search",
    "sync_entries",
]
