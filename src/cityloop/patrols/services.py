"""Seed rows of the patrols app, shared by its migration and by the browser tests (whose
flush empties every table, seeded ones included)."""

from __future__ import annotations

# The frequencies of seed 000/003: community road chiefs daily, street and district road
# chiefs weekly, grid workers daily. Editable in the admin afterwards.
SEED = [
    ("road_chief", "community", "day"),
    ("road_chief", "street", "week"),
    ("road_chief", "district", "week"),
    ("grid_worker", "", "day"),
]


def seed(model) -> None:
    """Write the required frequencies missing from ``model`` (the historical model in the
    migration, :class:`~cityloop.patrols.models.PatrolRequirement` elsewhere)."""
    for role, level, period in SEED:
        model.objects.get_or_create(role=role, level=level, defaults={"period": period})
