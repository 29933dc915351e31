"""Device protocols in: decode, authenticate, validate, then hand to ingest."""
