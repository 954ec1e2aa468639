"""The Telegram chat: python-telegram-bot handlers by feature, over the engine only."""
