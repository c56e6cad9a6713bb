"""The system as an actor: the one definition of who "the system" is.

Two faces of it, both here:

* :data:`SYSTEM` — a reader that sees every record and is no account row. Reports, assessment
  runs and bulletin generators read through it (who may run them is checked before anything
  is read). It writes nothing: an event recorded with it carries no actor row and the label
  "系统" (:func:`cityloop.core.events.actor_label`).
* :func:`system_account` — the account automatic *steps* are recorded under (auto-dispatch,
  the intel shell): a superuser that cannot log in (no usable password), so its scope covers
  every case and its name shows in the timeline. Its username is
  ``CITYLOOP.intel_system_user``.
"""

from __future__ import annotations

from cityloop.core.scope import Scope

LABEL = "系统"


class SystemReader:
    """Reads every record: an assessment counts all of a target's records, whoever runs it
    (who may run it is checked in the workflow before anything is read)."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    is_staff = False
    pk = None
    _cityloop_scope = Scope(everything=True)
    _cityloop_roles: list[str] = []

    def get_username(self) -> str:
        return LABEL

    def __str__(self) -> str:
        return LABEL


SYSTEM = SystemReader()


def system_account(username: str = "", display_name: str = "智能分拨"):
    """The account automatic steps are recorded under (created on first use): by default
    triage's (``CITYLOOP_INTEL_SYSTEM_USER``); another app names its own (the duty watch's
    hazard-point alarms). A superuser that cannot log in, its name shown in the timeline."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    User = get_user_model()
    name = username or settings.CITYLOOP.intel_system_user
    user, created = User.objects.get_or_create(
        username=name,
        defaults={"is_superuser": True, "is_staff": False, "first_name": display_name},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def is_system(actor) -> bool:
    """Was this step taken by the system: the reader or the system account? (``None``, the CLI
    or demo acting without an account, is not counted as an automatic decision.)"""
    if actor is SYSTEM:
        return True
    from django.conf import settings

    get_username = getattr(actor, "get_username", None)
    return get_username is not None and get_username() == settings.CITYLOOP.intel_system_user
