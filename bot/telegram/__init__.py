"""The Telegram channel (python-telegram-bot 22): residents chat with the assistant from Telegram.

Run it with `jiesu telegram`. Every text, command and button press goes
through the gateway as "telegram:<chat id>"; the outbox sender delivers
messages staff and the ticket core queue for Telegram residents.
"""
