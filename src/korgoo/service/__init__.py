"""The monitoring service: the pipeline (ingest -> store -> engine -> alerts), its
bus, health and metrics. It owns all mutable state; readers get snapshots."""
