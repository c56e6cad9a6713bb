"""Personal data shown only as far as the work needs: the one phone mask."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """A phone as it is shown to those who need not call it: ``138****0001`` (short: ``****``)."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"
