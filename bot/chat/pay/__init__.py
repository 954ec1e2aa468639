"""A payer's steps in the chat: the order card, payment password, checkout, passkey, invoices,
and transfers straight to the payee."""
