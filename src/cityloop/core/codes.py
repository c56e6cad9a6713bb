"""The short codes people read out and type: a record's local date and a random tail.

Random, so codes cannot be walked one by one; no 0/O, 1/I/L, so a code read over the phone
is typed right. Cases (``261123-7FE5Q``), patrols (``XC261123-7FE5``) and meetings
(``HY261123-7FE5``) take theirs from here.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import models

from cityloop.core import clock

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def dated_code(
    model: type[models.Model], at: datetime, *, prefix: str = "", length: int = 4
) -> str:
    """``<prefix><yymmdd>-<length random characters>``, unused in ``model.code``."""
    day = at.astimezone(clock.local_zone()).strftime("%y%m%d")
    while True:
        code = f"{prefix}{day}-" + "".join(secrets.choice(ALPHABET) for _ in range(length))
        if not model.objects.filter(code=code).exists():
            return code
