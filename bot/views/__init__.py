"""What users see, shared by the bot and the web: texts, catalogs, QR images, formatting."""
