"""Telegram updates → gateway → replies: the handlers of the resident conversation."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import BotCommand, Chat, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.gateway import Gateway, Incoming
from bot.telegram.callbacks import CallbackStore
from bot.telegram.ordering import previous_update
from bot.telegram.replies import send_replies
from jiesu.db import session_scope
from jiesu.tickets.attachments import store_photo
from jiesu.vocabulary import wording

log = logging.getLogger(__name__)

CHANNEL = "telegram"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

# Commands answered by the assistant: what each sends through Rasa as the resident's message.
COMMAND_MESSAGES = {
    "start": "/greet",
    "status": "/query_ticket",
    "human": "/request_human",
    "cancel": "/cancel",
}
MENU = ("start", "help", "status", "human", "cancel")

UNSUPPORTED = (
    filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Sticker.ALL
    | filters.Document.ALL
)


def location_payload(latitude: float, longitude: float) -> str:
    """A shared location as the resident's message: an `inform` with the place as the
    address entity, so the appeal form takes it as the answer to "where"."""
    place = wording(
        "telegram", "location_address", latitude=f"{latitude:.6f}", longitude=f"{longitude:.6f}"
    )
    return "/inform" + json.dumps({"address": place}, ensure_ascii=False, separators=(",", ":"))


def text(key: str) -> str:
    """The Telegram wording `key` from the vocabulary."""
    return wording("telegram", key)


def delivery_id(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The update's id as stored for deduplication: "<bot id>:<update id>".

    Update ids count per bot, so a new bot (token) on the same database starts
    again from low numbers; the bot id, the numeric head of its token, keeps
    them apart.
    """
    bot_id = context.bot.token.partition(":")[0]
    return f"{bot_id}:{update.update_id}"


class TelegramChannel:
    """Handlers of one bot: every resident input reaches Rasa through the gateway."""

    def __init__(
        self, gateway: Gateway, callbacks: CallbackStore, database_url: str | None
    ) -> None:
        self._gateway = gateway
        self._callbacks = callbacks
        self._database_url = database_url

    def install(self, application: AnyApplication) -> None:
        """Register the handlers on `application`; updates from anything but a private chat
        stop before them."""
        application.add_handler(TypeHandler(Update, self.only_private_chats), group=-1)
        for command, message in COMMAND_MESSAGES.items():
            application.add_handler(CommandHandler(command, self._command_handler(message)))
        application.add_handler(CommandHandler("help", self.on_help))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.on_text))
        application.add_handler(MessageHandler(filters.PHOTO, self.on_photo))
        application.add_handler(MessageHandler(filters.LOCATION, self.on_location))
        application.add_handler(MessageHandler(filters.CONTACT, self.on_contact))
        application.add_handler(MessageHandler(UNSUPPORTED, self.on_unsupported))

    async def only_private_chats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Read and answer private chats only: a group is one conversation shared by all its
        members, who would see each other's tickets, status and handoff replies."""
        chat = update.effective_chat
        if chat is None or chat.type != Chat.PRIVATE:
            log.info(
                "update %s from a %s chat ignored",
                update.update_id,
                chat.type if chat else "missing",
            )
            raise ApplicationHandlerStop

    async def register_commands(self, application: AnyApplication) -> None:
        """Publish the command menu (setMyCommands); a failure only costs the menu."""
        commands = [BotCommand(name, text(f"command_{name}")) for name in MENU]
        try:
            await application.bot.set_my_commands(commands)
        except TelegramError as error:
            log.warning("could not register the command menu: %s", error)

    def _command_handler(self, message: str) -> Handler:
        async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await self._converse(update, context, message)

        return handle

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A resident's text message."""
        if update.effective_message is not None and update.effective_message.text is not None:
            await self._converse(update, context, update.effective_message.text)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pressed inline button: answered at once, its payload sent as the resident's message."""
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        payload = self._callbacks.decode(query.data or "")
        if payload is None:
            await self._say(update, context, text("expired_button"))
            return
        await self._converse(update, context, payload)

    async def on_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo: kept for the resident's next ticket; its caption goes on as their words."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not message.photo:
            return
        file = await message.photo[-1].get_file()  # the largest size Telegram made
        data = bytes(await file.download_as_bytearray())
        try:
            await asyncio.to_thread(
                self._store_photo, delivery_id(update, context), str(chat.id), data
            )
        except ValueError:
            await self._say(update, context, text("photo_refused"))
            return
        await self._say(update, context, text("photo_received"))
        if message.caption:
            await self._converse(update, context, message.caption)

    def _store_photo(self, delivery: str, chat_id: str, data: bytes) -> None:
        with session_scope(self._database_url) as session:
            store_photo(
                session, channel=CHANNEL, chat_id=chat_id, source_message_id=delivery, data=data
            )

    async def on_location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shared location: the place of the appeal, in the resident's conversation."""
        message = update.effective_message
        if message is None or message.location is None:
            return
        await self._converse(
            update, context, location_payload(message.location.latitude, message.location.longitude)
        )

    async def on_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shared contact: accepted as the phone number only if it is the resident's own."""
        message = update.effective_message
        if message is None or message.contact is None:
            return
        user = update.effective_user
        if user is None or message.contact.user_id != user.id:
            await self._say(update, context, text("contact_not_own"))
            return
        await self._converse(update, context, message.contact.phone_number)

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """What the assistant does and its commands."""
        await self._say(update, context, text("help"))

    async def on_unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Voice, stickers, video, files…: say politely what is supported."""
        await self._say(update, context, text("unsupported"))

    async def _say(self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: str) -> None:
        if update.effective_chat is not None:
            previous = previous_update()
            if previous is not None:  # after the replies to the resident's earlier messages
                await asyncio.shield(previous)
            await context.bot.send_message(update.effective_chat.id, message)

    async def _converse(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: str
    ) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        delivery = delivery_id(update, context)
        # The gateway would hand back the first replies to a re-delivered update, but on
        # Telegram they were sent already: sending them again would answer twice.
        if await asyncio.to_thread(self._gateway.was_handled, CHANNEL, str(chat.id), delivery):
            log.info("update %s was handled before: not answered again", delivery)
            return
        incoming = Incoming(CHANNEL, str(chat.id), delivery, message)
        replies = await self._gateway.handle(incoming, after=previous_update())
        await send_replies(context.bot, chat.id, replies, self._callbacks)
