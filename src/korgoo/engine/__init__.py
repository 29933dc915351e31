"""The monitoring engine: a pure, deterministic function of an ordered event stream.

No I/O, no wall clock, no globals: the same event log always replays to the same
decisions, byte for byte.
"""

from korgoo.engine.engine import Engine
from korgoo.engine.params import DEFAULT_PARAMS, RuleParams

__all__ = ["DEFAULT_PARAMS", "Engine", "RuleParams"]
