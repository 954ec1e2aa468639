"""A payer's steps in the chat: the order card, payment password, checkout, passkey, invoices."""
