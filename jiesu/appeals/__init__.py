"""Appeal intake (接诉): from what a resident tells the assistant to a filed, routed ticket.

`intake` reads resident input (bare requests, phone numbers, declining to leave
one, interruptions); `filing` assesses a draft (category, department, grid,
deadlines) and files it as a ticket; `wording` composes what the resident reads.
Actions, the console and the CLI call these; none of them holds appeal rules.
"""

from jiesu.appeals.filing import Assessment, Draft, assess, file_appeal
from jiesu.appeals.intake import (
    ANONYMOUS,
    APPEAL_INTENTS,
    appeal_fields,
    declines_contact,
    interrupts,
    is_bare_request,
    parse_phone,
)

__all__ = [
    "ANONYMOUS",
    "APPEAL_INTENTS",
    "Assessment",
    "Draft",
    "appeal_fields",
    "assess",
    "declines_contact",
    "file_appeal",
    "interrupts",
    "is_bare_request",
    "parse_phone",
]
