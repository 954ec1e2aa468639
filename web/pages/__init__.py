"""The pages payers open in a browser: the pay page, the Stripe checkout, the passkey page."""
