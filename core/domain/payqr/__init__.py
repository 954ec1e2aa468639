"""Payees' own receiving methods: validation of their account details and the standard
payment-QR payloads built from them.

- `rf`: ISO 11649 structured creditor references (the per-payer reference of every payload);
- `epc`: the EPC069-12 SEPA credit transfer QR code (IBAN, BIC);
- `pix`: the PIX BR Code of Banco Central do Brasil (PIX keys);
- `upi`: the NPCI UPI deep link (UPI IDs, UTRs);
- `fields`: what they share (one line of text, amounts with a decimal point).

The payloads are plain text; `bot.views.qr.payment_qr_png` draws them.
"""
