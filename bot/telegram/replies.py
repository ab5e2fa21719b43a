"""Send the assistant's replies (Rasa's REST format) to a Telegram chat."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.callbacks import CallbackStore

log = logging.getLogger(__name__)


def inline_keyboard(
    buttons: list[dict[str, Any]], callbacks: CallbackStore
) -> InlineKeyboardMarkup | None:
    """Rasa buttons (title, payload) as an inline keyboard, one button a row."""
    rows = [
        [InlineKeyboardButton(str(button["title"]),
                              callback_data=callbacks.encode(str(button["payload"])))]
        for button in buttons
        if button.get("title") and button.get("payload")
    ]
    return InlineKeyboardMarkup(rows) if rows else None


async def send_reply(
    bot: Bot, chat_id: int | str, reply: dict[str, Any], callbacks: CallbackStore
) -> None:
    """Send one reply: its image (with the text as caption when short enough) or its text,
    with its buttons as an inline keyboard."""
    text = str(reply.get("text") or "")
    markup = inline_keyboard(reply.get("buttons") or [], callbacks)
    image = reply.get("image")
    if image:
        caption_fits = len(text) <= 1024
        await bot.send_photo(
            chat_id, str(image), caption=text if caption_fits else None,
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
