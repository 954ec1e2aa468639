"""The transparency ledger as data: entries, the Merkle tree, audits, figures and exports."""
