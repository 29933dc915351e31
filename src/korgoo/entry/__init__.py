"""Entry points: the app factory, `korgoo serve`, the demo and its seeding, the
live view. Imported by nothing but the command line."""
