"""The private chat's dialogs as declared state machines: one module per dialog, each with
its states, its events and its transition table (state, event) -> next state, in one place.

Pure data and functions (no Telegram, no clock): the bot keeps them behind the DialogStore
port (core.ports.dialogs), so a dialog survives a restart or moves between instances once
the store is a database. Every write bumps the dialog's version; a stale write is refused.
"""
