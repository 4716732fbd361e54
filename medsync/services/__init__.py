"""Use cases: queries and writes. Services flush, never commit; the request or task boundary commits."""
