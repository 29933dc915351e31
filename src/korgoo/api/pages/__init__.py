"""The HTML pages: the operator console and the two phone apps."""
