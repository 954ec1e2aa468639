"""Static codes in the chat: binding, managing and paying printed codes."""
