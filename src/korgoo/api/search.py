"""Search of orders by number and by person, shared by the lists of orders and
of alerts. Matching is case-insensitive on a part of the text; a person matches
by id or by a part of the name, as respondent or as protected person. The
lists are the user's districts' only (the pilot centre holds hundreds of
orders: a filter in Python over the scoped lists is enough)."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from korgoo.store.orders import Order, OrderVersion, list_orders
from korgoo.store.registry import list_persons


def _part(needle: str, text: str) -> bool:
    return needle.casefold() in text.casefold()


def persons_matching(db: sa.Engine, districts: Collection[str] | None, person: str) -> set[str]:
    """Ids of the persons (in `districts`) whose id is `person` or whose name holds it."""
    return {
        p.id
        for p in list_persons(db, districts=districts)
        if p.id == person or _part(person, p.display_name)
    }


def involves(version: OrderVersion, person_ids: set[str]) -> bool:
    return version.respondent_id in person_ids or bool(person_ids & set(version.protected_ids))


def orders_matching(
    db: sa.Engine,
    districts: Collection[str] | None,
    *,
    number: str | None = None,
    person: str | None = None,
) -> list[tuple[Order, OrderVersion]]:
    """Orders (with their latest version) whose number or id holds `number` and that
    involve a person matching `person`; a filter not given matches every order."""
    found = list_orders(db, districts=districts)
    if number:
        found = [(o, v) for o, v in found if _part(number, o.number) or o.id == number]
    if person:
        ids = persons_matching(db, districts, person)
        found = [(o, v) for o, v in found if involves(v, ids)]
    return found
