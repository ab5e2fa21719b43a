"""Every table of the app database on one `metadata`: what the migrations must build.

A module that declares tables is imported here, once, for Alembic (env.py) and for the
test that the migrations and the models agree.
"""

from __future__ import annotations

import bot.telegram.callbacks
import bot.wechat.models  # noqa: F401
import jiesu.faq.models
import jiesu.handoff.models
import jiesu.inbox
import jiesu.loop.models
import jiesu.models
import jiesu.outbox
import jiesu.staff.models
import jiesu.tickets.models  # noqa: F401
from jiesu.db import Base

metadata = Base.metadata
