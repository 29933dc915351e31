"""Evidence for the court: a signed bundle a third party can verify by replaying
its events through the engine, and a readable report of the same selection.

`collect` reads one selection (an alert, or an order over a time range) from the
store; `bundle` writes it as a signed zip, `verify` checks such a zip, `report`
renders it as a PDF.
"""
