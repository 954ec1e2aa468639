"""What the tests share: fakes of Chipin's ports, the engine and bot rigs, the Telegram
emulator's in-process layer, databases, browsers and processes."""
