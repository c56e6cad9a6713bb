"""Password validators of our own where Django's Chinese catalogue falls short.

Django 5.2's MinimumLengthValidator message changed its msgid (``%d``) and the shipped zh_Hans
catalogue still translates the old one, so the length refusal would read in English. This
subclass says the same in a msgid of ours.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return _("The password must have at least %(min_length)d characters.") % {
            "min_length": self.min_length
        }

    def get_help_text(self) -> str:
        return self.get_error_message()
