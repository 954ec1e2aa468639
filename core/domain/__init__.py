"""Chipin's domain: values and rules, synchronous and deterministic (standard library only,
but schwifty's IBAN and BIC registry for a payee's SEPA account)."""
