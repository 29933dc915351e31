"""Fan-out of what the engine decided to the consoles, apps and notifier."""
