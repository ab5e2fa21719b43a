"""Send the assistant's replies (Rasa's REST format) to a Telegram chat."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.telegram.callbacks import CallbackStore
from jiesu.vocabulary import wording

log = logging.getLogger(__name__)


def inline_keyboard(
    buttons: list[dict[str, Any]], callbacks: CallbackStore
) -> InlineKeyboardMarkup | None:
    """Rasa buttons (title, payload) as an inline keyboard, one button a row."""
    rows = [
        [
            InlineKeyboardButton(
                str(button["title"]), callback_data=callbacks.encode(str(button["payload"]))
            )
        ]
        for button in buttons
        if button.get("title") and button.get("payload")
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def share_keyboard(kind: str) -> ReplyKeyboardMarkup | None:
    """A one-tap button that shares the resident's location or own phone number
    (Telegram offers these only on reply keyboards)."""
    if kind not in ("location", "contact"):
        return None
    button = KeyboardButton(
        wording("telegram", f"share_{kind}_button"),
        request_location=kind == "location",
        request_contact=kind == "contact",
    )
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


async def _send_custom(bot: Bot, chat_id: int | str, custom: Any) -> None:
    """Our custom replies for Telegram: {"telegram": {"share": "location" | "contact"}}."""
    hint = custom.get("telegram") if isinstance(custom, dict) else None
    kind = str(hint.get("share")) if isinstance(hint, dict) else ""
    markup = share_keyboard(kind)
    if markup is None:
        log.warning("custom reply to %s not understood: %r", chat_id, custom)
        return
    await bot.send_message(chat_id, wording("telegram", f"share_{kind}_hint"), reply_markup=markup)


async def send_reply(
    bot: Bot, chat_id: int | str, reply: dict[str, Any], callbacks: CallbackStore
) -> None:
    """Send one reply: its image (with the text as caption when short enough) or its text,
    with its buttons as an inline keyboard; or our custom share-keyboard hint."""
    if "custom" in reply:
        await _send_custom(bot, chat_id, reply["custom"])
        return
    text = str(reply.get("text") or "")
    markup = inline_keyboard(reply.get("buttons") or [], callbacks)
    image = reply.get("image")
    if image:
        caption_fits = len(text) <= 1024
        await bot.send_photo(
            chat_id,
            str(image),
            caption=text if caption_fits else None,
            reply_markup=markup if caption_fits else None,
        )
        if caption_fits:
            return
    if text:
        await bot.send_message(chat_id, text, reply_markup=markup)
    elif markup is not None:
        log.warning("reply with buttons but no text to %s: buttons dropped", chat_id)


async def send_replies(
    bot: Bot, chat_id: int | str, replies: list[dict[str, Any]], callbacks: CallbackStore
) -> None:
    """Send the replies in order."""
    for reply in replies:
        await send_reply(bot, chat_id, reply, callbacks)
