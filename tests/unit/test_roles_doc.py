"""docs/roles.md states the capability table of `api.permissions`: the two agree."""

from __future__ import annotations

from pathlib import Path

from korgoo.api.permissions import ROLE_PERMISSIONS, Capability, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def test_the_roles_page_states_the_capability_table_of_the_code() -> None:
    lines = [line for line in DOC.read_text().splitlines() if line.startswith("| ")]
    header = next(line for line in lines if line.startswith("| capability | operator"))
    roles = [Role(cell.strip()) for cell in header.strip("|").split("|")[1:]]
    assert set(roles) == set(ROLE_PERMISSIONS)
    stated: dict[Role, set[Capability]] = {role: set() for role in roles}
    rows = [line for line in lines[lines.index(header) + 1 :] if line.startswith("| `")]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if len(cells) != len(roles) + 1:
            break  # the next table
        capability = Capability(cells[0].strip("`"))
        for role, cell in zip(roles, cells[1:], strict=True):
            if cell:
                stated[role].add(capability)
    assert stated == {role: set(ROLE_PERMISSIONS[role]) for role in roles}
