"""The bot's texts by subject, each through the user's catalog (bot.views.i18n)."""
