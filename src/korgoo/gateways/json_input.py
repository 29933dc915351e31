"""Reading untrusted JSON from devices.

msgspec answers hostile input with more than `msgspec.DecodeError`: invalid
UTF-8 raises UnicodeDecodeError, nesting deeper than its recursion limit raises
RecursionError. Every decoder catches all three and names the problem.
"""

from __future__ import annotations

import msgspec

UNREADABLE = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


def problem(error: Exception) -> str:
    """What was wrong with a JSON document that could not be read, in a few words."""
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8"
    if isinstance(error, RecursionError):
        return "JSON nested too deep"
    return str(error)
