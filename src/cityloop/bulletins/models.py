"""Bulletin tables: series (上街信息 …), numbered issues, units' submissions under review,
the items of an issue (submitted, short △ or generated from live figures), and events.

A generated item's text is computed while its issue is a draft and frozen at publication;
a published issue is a document and no longer changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityloop.core.models import EventBase


class Series(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("series title"), max_length=60)
    issuer = models.ForeignKey(
        "org.Unit", verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="+"
    )
    issuer_name = models.CharField(_("issuing office (as printed)"), max_length=100)
    send_to = models.CharField(_("sent to (本期送)"), max_length=300, blank=True)
    distribute_to = models.CharField(_("distributed to (发)"), max_length=300, blank=True)
    editors = models.CharField(_("responsible editors"), max_length=100, blank=True)
    # A deployment's own Word template (path on the server); empty: the built-in layout.
    docx_template = models.CharField(_("Word template"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("bulletin series")
        verbose_name_plural = _("bulletin series")

    def __str__(self) -> str:
        return self.title


class Issue(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="issues")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    date = models.DateField(_("date"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="draft")
    send_to = models.CharField(_("sent to (本期送)"), max_length=300, blank=True)
    distribute_to = models.CharField(_("distributed to (发)"), max_length=300, blank=True)
    editors = models.CharField(_("responsible editors"), max_length=100, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["series", "-year", "-number"]
        verbose_name = _("bulletin issue")
        verbose_name_plural = _("bulletin issues")
        constraints = [
            models.UniqueConstraint(fields=["series", "year", "number"], name="issue_number"),
        ]

    def __str__(self) -> str:
        return f"{self.series.title} {self.year} 第{self.number}期"


class Submission(models.Model):
    """An item a unit submits (信息报送); an editor accepts (as is or edited) or rejects it."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        USED = "used", _("Used in an issue")

    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="submissions")
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    unit_label = models.CharField(_("unit as printed"), max_length=60)
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    byline = models.CharField(_("byline"), max_length=100, blank=True)
    short = models.BooleanField(_("short item (△)"), default=False)
    # What the editor made of it; the unit's own text stays as submitted.
    final_title = models.CharField(_("edited title"), max_length=200, blank=True)
    final_body = models.TextField(_("edited text"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="submitted")
    review_note = models.TextField(_("review note"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-submitted_at", "pk"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes = [models.Index(fields=["series", "state"])]

    def __str__(self) -> str:
        return self.title or self.body[:20]


class IssueItem(models.Model):
    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted item")
        GENERATED = "generated", _("Generated from figures")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.PROTECT, related_name="placements"
    )
    generator = models.CharField(_("generator"), max_length=40, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Frozen content (filled at publication for generated items; at placement for submitted)
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    unit_label = models.CharField(_("unit as printed"), max_length=60, blank=True)
    short = models.BooleanField(_("short item (△)"), default=False)
    table = models.JSONField(_("table"), default=dict, blank=True)
    chart = models.JSONField(_("chart"), default=dict, blank=True)
    sources = models.JSONField(_("sources"), default=dict, blank=True)

    class Meta:
        ordering = ["issue", "short", "order", "pk"]

    def __str__(self) -> str:
        return self.title or self.generator


class BulletinEvent(EventBase):
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )

    class Meta(EventBase.Meta):
        verbose_name = _("bulletin event")
        verbose_name_plural = _("bulletin events")


class NoticeNumber(models.Model):
    """发文登记: the 发文字号 a notice was issued under (中心路街道办事处〔2020〕3号). One notice
    (kind, scheme, period) gets one number, asked again it keeps it; numbers run per issuer,
    kind and year and a number once given is never given again."""

    issuer = models.ForeignKey(
        "org.Unit", verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=30)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    key = models.CharField(_("notice key"), max_length=120, unique=True)  # monthly:CW:2020-06
    reference = models.CharField(_("reference number"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    issued_on = models.DateField(_("date"))

    class Meta:
        verbose_name = _("issued notice")
        verbose_name_plural = _("issued notices")
        ordering = ["issuer", "kind", "year", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "kind", "year", "number"], name="bulletins_notice_number_once"
            )
        ]

    def __str__(self) -> str:
        return self.reference


class DocumentHash(models.Model):
    """发文登记 fingerprints: the sha256 of an issued document's .docx or .pdf, taken the first
    time the file is produced after issue and never changed, so a copy handed around can be
    checked against the register. ``kind`` is the register's kind (notice, letter, bulletin,
    minutes) and ``object_id`` the row of that kind."""

    kind = models.CharField(_("kind"), max_length=20)
    object_id = models.PositiveBigIntegerField(_("record"))
    fmt = models.CharField(_("format"), max_length=5)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    produced_at = models.DateTimeField(_("first produced"))

    class Meta:
        verbose_name = _("document fingerprint")
        verbose_name_plural = _("document fingerprints")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "fmt"], name="bulletins_document_hash_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}.{self.fmt} {self.sha256[:12]}"


class Letterhead(models.Model):
    """An issuing unit's own 公文 settings, set on a page by its office: the red 发文机关标志,
    the abbreviation of its 发文字号, the default 主送 and 抄送 lists and the name it signs as.
    An empty field falls back to the unit's names (see ``bulletins.queries.letterhead_of``)."""

    unit = models.OneToOneField(
        "org.Unit", verbose_name=_("issuing unit"), on_delete=models.CASCADE, related_name="+"
    )
    header = models.CharField(_("issuer mark (red header)"), max_length=100, blank=True)
    abbreviation = models.CharField(_("issuer abbreviation"), max_length=40, blank=True)
    send_to = models.CharField(_("default addressees (主送)"), max_length=300, blank=True)
    copy_to = models.CharField(_("default copies (抄送)"), max_length=300, blank=True)
    signature = models.CharField(_("signed as"), max_length=100, blank=True)
    # The office's own Word template ({{标题}} … {{正文}}), checked on upload; empty: the
    # built-in layout. Kept in the database (at most 2 MB) so a backup carries it.
    template = models.BinaryField(_("Word template"), blank=True, default=b"")
    template_name = models.CharField(_("template file name"), max_length=200, blank=True)
    template_sha256 = models.CharField(_("template SHA-256"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)

    class Meta:
        verbose_name = _("letterhead")
        verbose_name_plural = _("letterheads")

    def __str__(self) -> str:
        return self.header or str(self.unit_id)
