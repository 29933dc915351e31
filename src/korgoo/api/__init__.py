"""The HTTP API: health, metrics, the native ingest API; the console's API later."""
