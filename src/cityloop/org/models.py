"""Places, zones, units, people and their duties: the frame every loop runs inside.

Trees (places, units) carry a materialised ``path`` of codes ("/410106/410106001/") so that
"everything under X" is one ``startswith`` filter, the same on SQLite and PostgreSQL, and a
scope check is a subquery rather than a walk.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class TreeNode(models.Model):
    """Shared shape of the place and unit trees."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    path = models.CharField(_("path"), max_length=400, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # path is derived data: never trust a caller with it
        self.compute_path()
        super().save(*args, **kwargs)

    def compute_path(self) -> None:
        parent = getattr(self, "parent", None)
        base = parent.path if parent is not None else "/"
        self.path = f"{base}{self.code}/"
        self.depth = self.path.count("/") - 2

    def is_within(self, other: TreeNode) -> bool:
        return self.path.startswith(other.path)


class Place(TreeNode):
    """district › street › community › compound › building."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District")
        STREET = "street", _("Street")
        COMMUNITY = "community", _("Community")
        COMPOUND = "compound", _("Compound")
        BUILDING = "building", _("Building")

    class Management(models.TextChoices):
        PROPERTY_COMPANY = "property_company", _("Property company")
        OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
        SELF_MANAGED = "self_managed", _("Self-managed")
        UNMANAGED = "unmanaged", _("Unmanaged")

    # Which kind may sit under which: the tree's one structural rule.
    PARENT_KIND = {
        Kind.DISTRICT: None,
        Kind.STREET: Kind.DISTRICT,
        Kind.COMMUNITY: Kind.STREET,
        Kind.COMPOUND: Kind.COMMUNITY,
        Kind.BUILDING: Kind.COMPOUND,
    }

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    management = models.CharField(
        _("management"), max_length=20, choices=Management.choices, blank=True
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    geometry = models.JSONField(_("geometry (GeoJSON, WGS-84)"), null=True, blank=True)
    attrs = models.JSONField(_("attributes"), default=dict, blank=True)
    history = HistoricalRecords(excluded_fields=["path", "depth"])

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(management="") | Q(kind="compound"),
                name="place_management_only_on_compound",
            ),
        ]

    def clean(self) -> None:
        problem = self.parent_problem()
        if problem:
            raise ValidationError({"parent": problem})

    def parent_problem(self) -> str | None:
        """The tree's one structural rule: each kind sits directly under the next one up."""
        expected = self.PARENT_KIND.get(self.kind)
        parent = self.parent
        if expected is None and parent is not None:
            return gettext("A district has no parent place")
        if expected is not None and (parent is None or parent.kind != expected):
            return gettext("A %(kind)s must sit under a %(parent)s") % {
                "kind": self.Kind(self.kind).label,
                "parent": self.Kind(expected).label,
            }
        return None


class Unit(TreeNode):
    """Any organisation that can own work."""

    class Kind(models.TextChoices):
        PARTY_GOVERNMENT = "party_government", _("Party or government office")
        BUREAU = "bureau", _("District bureau")
        STREET_OFFICE = "street_office", _("Street office")
        OFFICE = "office", _("Internal office")
        COMMUNITY_COMMITTEE = "community_committee", _("Community committee")
        COMPANY = "company", _("Company")
        PARTNER = "partner", _("Partner unit")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("area covered"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    # Service hours; empty means the default 08:30–12:00, 13:30–17:30.
    work_hours = models.CharField(_("work hours"), max_length=100, blank=True)
    works_weekends = models.BooleanField(_("open at weekends (周末无休)"), default=False)
    round_the_clock = models.BooleanField(_("24-hour service"), default=False)
    history = HistoricalRecords(excluded_fields=["path", "depth"])

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]


class Zone(models.Model):
    """A responsibility object with a geometry: a road, a grid, a hazard point, a park."""

    class Kind(models.TextChoices):
        ROAD = "road", _("Road")
        GRID = "grid", _("Grid")
        HAZARD_POINT = "hazard_point", _("Hazard point")
        PARK = "park", _("Park")

    GEOMETRY_TYPES = {
        Kind.ROAD: {"LineString", "MultiLineString"},
        Kind.GRID: {"Polygon", "MultiPolygon"},
        Kind.HAZARD_POINT: {"Point"},
        Kind.PARK: {"Polygon", "MultiPolygon", "Point"},
    }

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="zones"
    )
    geometry = models.JSONField(_("geometry (GeoJSON, WGS-84)"), null=True, blank=True)
    attrs = models.JSONField(_("attributes"), default=dict, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    title = models.CharField(_("title"), max_length=50, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ZoneRole(models.Model):
    """A person's duty on a responsibility object: a zone, or a compound/building."""

    class Role(models.TextChoices):
        ROAD_CHIEF = "road_chief", _("Road chief")
        COMPOUND_HEAD = "compound_head", _("Compound head")
        BUILDING_HEAD = "building_head", _("Building head")
        RED_STEWARD = "red_steward", _("Red steward")
        GRID_WORKER = "grid_worker", _("Grid worker")
        INSPECTOR = "inspector", _("Inspector")

    class Level(models.TextChoices):
        DISTRICT = "district", _("District level")
        STREET = "street", _("Street level")
        COMMUNITY = "community", _("Community level")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="zone_roles"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, blank=True)
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="roles",
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="roles",
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["role", "level", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(zone__isnull=False, place__isnull=True))
                | (Q(zone__isnull=True, place__isnull=False)),
                name="zonerole_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=["person", "role", "level", "zone"],
                condition=Q(zone__isnull=False),
                name="zonerole_unique_on_zone",
            ),
            models.UniqueConstraint(
                fields=["person", "role", "level", "place"],
                condition=Q(place__isnull=False),
                name="zonerole_unique_on_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.zone or self.place}"

    @property
    def target(self) -> Zone | Place:
        return self.zone or self.place


class Partnership(models.Model):
    """联建共建: a partner unit adopts a compound."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("partner unit"), on_delete=models.CASCADE, related_name="adopted"
    )
    compound = models.ForeignKey(
        Place,
        verbose_name=_("compound"),
        on_delete=models.CASCADE,
        related_name="partners",
        limit_choices_to={"kind": "compound"},
    )
    since = models.DateField(_("since"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        constraints = [
            models.UniqueConstraint(fields=["unit", "compound"], name="partnership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.compound}"
