"""The organisation's models as the kernel reads them (places, units, zones, people).

The kernel's scope rule, geo index, notifications and account summary need these tables, and
the organisation app builds on the kernel. So the kernel never imports ``cityloop.org``: the
organisation app hands its models over in its ``AppConfig.ready`` (:func:`register`), and the
kernel asks for them by name (:func:`get`) when it runs. No import cycle between the two.
"""

from __future__ import annotations

from typing import Any

NAMES = ("Person", "Place", "Unit", "Zone", "ZoneRole")
_MODELS: dict[str, Any] = {}


def register(**models: Any) -> None:
    """Called from :class:`cityloop.org.apps.OrgConfig` with the models named in NAMES."""
    unknown = sorted(set(models) - set(NAMES))
    if unknown:
        raise ValueError(f"not an organisation model the kernel reads: {unknown}")
    _MODELS.update(models)


def get(*names: str) -> Any:
    """The registered model (one name) or models (several names, as a tuple)."""
    try:
        found = tuple(_MODELS[n] for n in names)
    except KeyError as exc:
        raise RuntimeError(
            f"the organisation app has not registered {exc.args[0]}: is cityloop.org installed?"
        ) from None
    return found[0] if len(found) == 1 else found
