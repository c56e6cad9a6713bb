"""The smallest street a benchmark needs: 上街区 › 济源路街道 (a square), its office and a desk
account. Call after ``django.setup()`` on the scratch database."""

from __future__ import annotations

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[113.2, 34.7], [113.3, 34.7], [113.3, 34.8], [113.2, 34.8], [113.2, 34.7]]],
}


def street_desk(password: str):
    """The street's desk account (street staff of its office)."""
    from cityloop.org import services as s

    district, _ = s.place_save(actor=None, code="E410106", name="上街区", kind="district")
    street, _ = s.place_save(
        actor=None,
        code="E410106001",
        name="济源路街道",
        kind="street",
        parent=district,
        geometry_json=SQUARE,
    )
    office, _ = s.unit_save(
        actor=None, code="EJYL", name="济源路街道办事处", kind="street_office", place=street
    )
    return s.account_save(
        actor=None, username="bench-desk", password=password, unit=office, roles=["street_staff"]
    )
