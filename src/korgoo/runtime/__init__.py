"""Wiring of the embedded monitoring centre: store, engine, alerts and gateways."""
