"""Tokens, signing keys and permissions: who the caller is and what they may do."""
