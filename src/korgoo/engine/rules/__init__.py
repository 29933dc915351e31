"""The engine's rules, one module per family, as functions of one order's monitor.

Each function takes the `OrderMonitor` (the order's state), the engine time
`now` and the list `out` it appends decisions to; none reads a clock or does I/O.
"""
