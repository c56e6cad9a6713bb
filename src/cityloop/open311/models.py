"""Open311 tables: the clients that hold API keys, the tokens handed back at intake, the
updates clients post, and the category-specific questions a service definition lists.

A request created over Open311 is an ordinary :class:`~cityloop.cases.models.Case`; nothing
here duplicates it. Keys are stored as a SHA-256 digest only, like ``core.ApiToken``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityloop.cases.models import Case


class ApiClient(models.Model):
    """One Open311 client (an app, a hotline system, a FixMyStreet install) and its key.

    Requests it creates are reported by ``account`` through channel ``source``, so the case
    loop's own rules (who may use which channel, whose reports one sees) apply to it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_prefix = models.CharField(_("key prefix"), max_length=12, db_index=True)
    key_digest = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="open311_clients",
    )
    source = models.CharField(
        _("source"), max_length=12, choices=Case.Source.choices, default=Case.Source.RESIDENT
    )
    rate_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        null=True,
        blank=True,
        help_text=_("Empty: the configured default (CITYLOOP_OPEN311_RATE_PER_MINUTE)."),
    )
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RequestToken(models.Model):
    """The ``token`` returned with a new request; ``tokens/{token}`` gives its id back."""

    token = models.CharField(max_length=40, unique=True)
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="tokens")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.token


class ClientUpdate(models.Model):
    """An update a client posted (``POST servicerequestupdates``), kept so that a retry with
    the same ``update_id`` gives back the first answer instead of a second note."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="updates")
    update_id = models.CharField(max_length=100)
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.CASCADE, related_name="+")
    # What the client said beyond the note (its status, media_url, time); the note's event is
    # written by the case loop and not edited afterwards.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "update_id"], name="open311_update_id_unique_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.update_id}"


class ServiceAttribute(models.Model):
    """A category-specific question (Open311 service definition attribute)."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLE = "singlevaluelist", _("One of a list")
        MULTI = "multivaluelist", _("Several of a list")

    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="open311_attributes",
    )
    code = models.SlugField(_("code"), max_length=40)
    description = models.CharField(_("question"), max_length=200)
    datatype = models.CharField(
        _("answer type"), max_length=16, choices=Datatype.choices, default=Datatype.STRING
    )
    datatype_description = models.CharField(_("answer hint"), max_length=200, blank=True)
    required = models.BooleanField(_("required"), default=False)
    # False: the text is shown to the reporter only, no answer is asked (Open311 "variable").
    variable = models.BooleanField(_("asks for an answer"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    # [{"key": "...", "name": "..."}, ...] for the two list types.
    values = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        verbose_name = _("Open311 question")
        verbose_name_plural = _("Open311 questions")
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "code"], name="open311_attribute_code_unique_per_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category.code}/{self.code}"
