import io

import pytest

from tests.supervision.conftest import _fast_hasher  # noqa: F401


@pytest.fixture
def chief(tree, db):
    """王路长: community-level road chief of 济源路 (daily), with an account."""
    from cityloop.org import services as s

    person, _ = s.person_save(actor=None, code="RC-1", name="王路长", place=tree.community_a)
    s.duty_assign(actor=None, person=person, role="road_chief", level="community", zone=tree.road_a)
    from tests.conftest import PASSWORD

    return s.account_save(
        actor=None, username="wang-rc", password=PASSWORD, roles=["road_chief"], person=person
    )


@pytest.fixture
def jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


ON_ROAD = (113.265, 34.785)
