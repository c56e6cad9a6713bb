"""``{% on_duty unit %}``: who is on duty now for a unit, for pages outside the duty app (the
case page, the dispatch form). Empty when the unit keeps no roster."""

from __future__ import annotations

from django import template

from cityloop.duty import queries

register = template.Library()


@register.inclusion_tag("duty/_on_duty.html")
def on_duty(unit) -> dict:
    return {"duty": queries.on_duty_now(unit)}
