"""Real-process faults: SIGKILL, database outages and Telegram API errors against `chipin`."""
