"""A password change, however it is made, revokes the account's tokens and ends its sessions.

Every path that sets a password ends in ``set_password()`` + ``save()`` on the user:
:func:`cityloop.org.services.account_save` (``cityloop user set-password``, the importers),
Django's password-change page and the admin's password form, ``manage.py changepassword``.
``set_password`` leaves the new raw password on ``user._password`` until the save, so the
save that follows it is the moment to act. Django re-hashing a password on login (a hasher
upgrade) clears ``_password`` before its save and is not a change. Making the password
unusable (``set_unusable_password``) is treated as a change too.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save

_FLAG = "_cityloop_password_changed"


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    setattr(instance, _FLAG, False)
    if raw or instance.pk is None or instance._state.adding:
        return  # fixtures, new accounts: nothing to revoke yet
    if update_fields is not None and "password" not in update_fields:
        return
    if getattr(instance, "_password", None) is not None:
        setattr(instance, _FLAG, True)
    elif not instance.has_usable_password():
        old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
        setattr(instance, _FLAG, old is not None and old != instance.password)


def _after_save(sender, instance, created=False, raw=False, **kwargs) -> None:
    if created or raw or not getattr(instance, _FLAG, False):
        return
    setattr(instance, _FLAG, False)
    from cityloop.core import tokens

    tokens.password_changed(instance)


def connect() -> None:
    user_model = get_user_model()
    pre_save.connect(_before_save, sender=user_model, dispatch_uid="cityloop_password_pre")
    post_save.connect(_after_save, sender=user_model, dispatch_uid="cityloop_password_post")
