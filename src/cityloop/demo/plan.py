"""The demo as plain rows: every place, unit, zone, person, duty, partnership and account,
with codes, names and geometry, computed from :mod:`.dataset` and :mod:`.layout`.

Building the plan touches no database; :mod:`.builder` then writes it through the org
services. Rows refer to each other by code, and each list is ordered parents first.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from cityloop.demo import dataset as ds
from cityloop.demo import layout
from cityloop.demo.accounts import DEMO_ACCOUNTS, SUPERUSER, person_code


@dataclass
class PlaceRow:
    code: str
    name: str
    kind: str
    parent: str | None
    geometry: dict[str, Any]
    management: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class UnitRow:
    code: str
    name: str
    kind: str
    parent: str | None = None
    place: str | None = None
    short_name: str = ""
    works_weekends: bool = False
    round_the_clock: bool = False


@dataclass
class ZoneRow:
    code: str
    name: str
    kind: str
    place: str
    geometry: dict[str, Any]
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class PersonRow:
    code: str
    name: str
    phone: str
    title: str
    unit: str | None = None
    place: str | None = None


@dataclass
class DutyRow:
    person: str
    role: str
    level: str = ""
    zone: str | None = None
    place: str | None = None


@dataclass
class PartnershipRow:
    unit: str
    compound: str
    note: str


@dataclass
class AccountRow:
    username: str
    name: str
    roles: tuple[str, ...]
    person: str
    superuser: bool


@dataclass
class Plan:
    places: list[PlaceRow] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    zones: list[ZoneRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    duties: list[DutyRow] = field(default_factory=list)
    partnerships: list[PartnershipRow] = field(default_factory=list)
    accounts: list[AccountRow] = field(default_factory=list)


ROAD_LANE_NUMERALS = "一二三四五六七八九十"

# Who among the demo accounts holds which duty slot in the data.
_SLOT_HOLDERS = {
    ("district_road_chief", "济源路"): "demo-leader",
    ("community_road_chief", "410106001001"): "demo-roadchief",
    ("grid_worker", "G-410106001001-01"): "demo-grid",
    ("compound_head", "410106100001001"): "cg-compound",
    ("building_head", "410106100001001-01"): "cg-building",
    ("red_steward", "410106100001009"): "cg-steward",
    ("red_steward", "410106001001001"): "jyl-steward",  # 新华街社区 06小区
}
# Street offices whose staff already have a demo account (the others get a desk person).
_ACCOUNT_UNITS = {unit for _u, _n, roles, unit, _p, _d in DEMO_ACCOUNTS if "street_staff" in roles}
_ACCOUNT_TITLES = {
    "admin": "系统管理员",
    "district_leader": "区领导",
    "supervisor": "督查员",
    "department_staff": "科员",
    "street_staff": "街道工作人员",
    "community_worker": "社区工作人员",
    "grid_worker": "网格员",
    "road_chief": "社区级路长",
    "compound_head": "楼院长",
    "building_head": "楼长",
    "red_steward": "红管家",
    "resident": "居民",
}


class _People:
    """Hands out fictional names and fake phone numbers in a fixed order."""

    def __init__(self) -> None:
        taken = ds.SEED_PEOPLE | {row[1] for row in DEMO_ACCOUNTS}
        pool = [s + g for g in ds.GIVEN_NAMES for s in ds.SURNAMES if s + g not in taken]
        random.Random(410106).shuffle(pool)  # fixed seed: same names on every load
        self._pool = pool
        self._next = 0
        self.rows: dict[str, PersonRow] = {}

    def add(self, code: str, title: str, *, unit: str | None = None, place: str | None = None):
        if code in self.rows:
            return code
        n = self._next
        self._next += 1
        self.rows[code] = PersonRow(
            code=code,
            name=self._pool[n],
            phone=f"{ds.PHONE_PREFIX}{n + 1:04d}",
            title=title,
            unit=unit,
            place=place,
        )
        return code


def _holder(slot: tuple[str, str], people: _People, code: str, title: str, **where) -> str:
    username = _SLOT_HOLDERS.get(slot)
    if username is not None:
        return person_code(username)
    return people.add(code, title, **where)


def _gj(geom: BaseGeometry) -> dict[str, Any]:
    return layout.to_geojson(geom)


def _street_geometries() -> dict[str, BaseGeometry]:
    """Schematic streets: 峡窝镇 in the south, 矿山街道 above it, the four urban streets in
    the north (west: 济源路 below 新安路; east: 中心路 below 工业路)."""
    shares = {s.seq: s.area_share for s in ds.STREETS}
    area = layout.inset(layout.outline())
    xw, rest = layout.split(area, "y", shares["100"])
    ks, urban = layout.split(rest, "y", shares["005"] / (1 - shares["100"]))
    west_share = shares["001"] + shares["003"]
    west, east = layout.split(urban, "x", west_share / (west_share + shares["002"] + shares["004"]))
    jyl, xal = layout.split(west, "y", shares["001"] / west_share)
    zxl, gyl = layout.split(east, "y", shares["002"] / (shares["002"] + shares["004"]))
    return {"001": jyl, "002": zxl, "003": xal, "004": gyl, "005": ks, "100": xw}


def _compound_names(community: ds.CommunitySpec, stem_no: list[int]) -> list[tuple[str, str]]:
    """(name, management) for each compound: unmanaged first, then owners' committees,
    self-managed, property companies; named compounds take the first slot of their kind."""
    stem = community.name.removesuffix("社区")
    managed = community.compounds - community.unmanaged
    managed -= community.owners_committee + community.self_managed
    counts = {
        "unmanaged": community.unmanaged,
        "owners_committee": community.owners_committee,
        "self_managed": community.self_managed,
        "property_company": managed,
    }
    named = {m: [n for n, mm in community.named if mm == m] for m in counts}
    out: list[tuple[str, str]] = []
    for management, count in counts.items():
        for i in range(count):
            if i < len(named[management]):
                out.append((named[management][i], management))
            elif community.name == "晨光社区" and management == "unmanaged":
                out.append((ds.CHENGUANG_UNMANAGED[i], management))
            elif stem.endswith("村"):
                out.append((f"{stem}{ROAD_LANE_NUMERALS[i]}组楼院", management))
            elif management == "unmanaged":
                street_name = stem if stem.endswith(("路", "街")) else f"{stem}街"
                out.append((f"{street_name}{(i + 1) * 2}号院", management))
            else:
                k = stem_no[0]
                stem_no[0] += 1
                prefix = ds.COMPOUND_PREFIXES[k % len(ds.COMPOUND_PREFIXES)]
                suffix = ds.COMPOUND_SUFFIXES[(k // len(ds.COMPOUND_PREFIXES)) % 6]
                out.append((f"{prefix}{suffix}", management))
    return out


def build_plan() -> Plan:
    plan = Plan()
    people = _People()
    outline = layout.outline()
    district = ds.DISTRICT_CODE
    plan.places.append(
        PlaceRow(
            code=district,
            name=ds.DISTRICT_NAME,
            kind="district",
            parent=None,
            geometry=_gj(outline),
            attrs={
                "communities": ds.DISTRICT_COMMUNITIES,
                "compounds": ds.DISTRICT_COMPOUNDS,
                "area_km2": round(layout.area_m2(outline) / 1e6, 1),
            },
        )
    )
    _units(plan)
    streets = _street_geometries()
    used_road_names: set[str] = set()
    pool = iter(ds.ROAD_POOL)
    compound_no = [0]
    for street in ds.STREETS:
        street_code = f"{district}{street.seq}"
        geom = streets[street.seq]
        plan.places.append(
            PlaceRow(street_code, street.name, "street", district, _gj(geom), attrs=street.attrs)
        )
        community_geoms = layout.partition(geom, [c.compounds for c in street.communities])
        community_codes = []
        for ci, (community, cgeom) in enumerate(
            zip(street.communities, community_geoms, strict=True), start=1
        ):
            code = f"{street_code}{ci:03d}"
            community_codes.append((code, cgeom))
            _community(plan, people, street, code, community, cgeom, compound_no)
        _roads(plan, people, street, street_code, geom, community_codes, used_road_names, pool)
        if street.unit_code not in _ACCOUNT_UNITS:  # a desk for the demo cases to act through
            people.add(f"P-SS-{street.unit_code}", "街道工作人员", unit=street.unit_code)
        inspector = people.add(f"P-IN-{street.unit_code}", "督查员", unit="QDCJ")
        plan.duties.append(DutyRow(inspector, "inspector", "district", place=street_code))
    _parks_and_hazards(plan)
    plan.people = list(people.rows.values())
    _accounts(plan)
    return plan


def _units(plan: Plan) -> None:
    district = ds.DISTRICT_CODE
    for code, name, short, kind in ds.BUREAUS + ds.CITY_MANAGEMENT_UNITS:
        plan.units.append(UnitRow(code, name, kind, place=district, short_name=short))
    # [000] 区政务服务中心 "周末无休": open every day, 1499 matters at weekends.
    plan.units.append(
        UnitRow(
            "QZWJ-ZWDT",
            "区政务服务中心",
            "office",
            parent="QZWJ",
            place=district,
            short_name="政务服务大厅",
            works_weekends=True,
        )
    )
    for street in ds.STREETS:
        street_code = f"{district}{street.seq}"
        office = "人民政府" if street.name.endswith("镇") else "办事处"
        plan.units.append(
            UnitRow(street.unit_code, f"{street.name}{office}", "street_office", place=street_code)
        )
        for suffix, name in ds.STREET_OFFICES:
            plan.units.append(
                UnitRow(
                    f"{street.unit_code}-{suffix}",
                    f"{street.name}{name}",
                    "office",
                    parent=street.unit_code,
                    place=street_code,
                    short_name=name,
                )
            )
        for ci, community in enumerate(street.communities, start=1):
            committee = "村民委员会" if community.name.endswith("村") else "居民委员会"
            plan.units.append(
                UnitRow(
                    f"{street.unit_code}-SQ{ci:03d}",
                    f"{community.name}{committee}",
                    "community_committee",
                    parent=street.unit_code,
                    place=f"{street_code}{ci:03d}",
                    short_name=community.name,
                )
            )
    # Round-the-clock duty offices: 城管 duty, and 峡窝镇's flood command ("24小时专人在岗" [003]).
    plan.units.append(
        UnitRow(
            "JYL-CGB-ZB",
            "济源路街道城管办值班室",
            "office",
            parent="JYL-CGB",
            place=f"{district}001",
            short_name="城管值班室",
            round_the_clock=True,
        )
    )
    plan.units.append(
        UnitRow(
            "XW-FXB",
            "峡窝镇防汛抗旱指挥部办公室",
            "office",
            parent="XW",
            place=f"{district}100",
            short_name="防汛办",
            round_the_clock=True,
        )
    )


def _community(
    plan: Plan,
    people: _People,
    street: ds.StreetSpec,
    code: str,
    community: ds.CommunitySpec,
    geom: BaseGeometry,
    compound_no: list[int],
) -> None:
    plan.places.append(
        PlaceRow(code, community.name, "community", code[:9], _gj(geom), attrs=community.attrs)
    )
    committee = f"{street.unit_code}-SQ{int(code[-3:]):03d}"
    for gi, grid in enumerate(layout.partition(geom, [1.0] * ds.GRIDS_PER_COMMUNITY), start=1):
        grid_code = f"G-{code}-{gi:02d}"
        plan.zones.append(
            ZoneRow(grid_code, f"{community.name}第{gi}网格", "grid", code, _gj(grid))
        )
        worker = _holder(
            ("grid_worker", grid_code), people, f"P-GW-{code}-{gi:02d}", "网格员", unit=committee
        )
        plan.duties.append(DutyRow(worker, "grid_worker", "community", zone=grid_code))
    names = _compound_names(community, compound_no)
    cells = layout.partition(geom, [1.0] * len(names))
    chenguang = community.name == "晨光社区"
    unmanaged_seen = 0
    for ki, ((name, management), cell) in enumerate(zip(names, cells, strict=True), start=1):
        ccode = f"{code}{ki:03d}"
        footprint = layout.footprint(cell)
        attrs: dict[str, Any] = {}
        if chenguang and management == "unmanaged":
            attrs["self_management_committee"] = True  # [003] 无主管楼院成立自管会
        plan.places.append(
            PlaceRow(ccode, name, "compound", code, _gj(footprint), management, attrs)
        )
        if management != "unmanaged":
            continue
        if street.seq == "001":  # [004] 红管家 and 联建共建 in 济源路街道
            steward = _holder(
                ("red_steward", ccode), people, f"P-RS-{ccode}", "红管家", place=ccode
            )
            plan.duties.append(DutyRow(steward, "red_steward", "community", place=ccode))
            adopted = sum(1 for p in plan.partnerships if p.note == "联建共建")
            partner = ds.JYL_PARTNERS[adopted % len(ds.JYL_PARTNERS)]
            plan.partnerships.append(PartnershipRow(partner, ccode, "联建共建"))
        if chenguang:
            _chenguang_compound(plan, people, ccode, unmanaged_seen, footprint)
        unmanaged_seen += 1


def _chenguang_compound(
    plan: Plan, people: _People, ccode: str, index: int, footprint: BaseGeometry
) -> None:
    plan.partnerships.append(PartnershipRow(ds.CHENGUANG_PARTNERS[index], ccode, "支部联建+部分包"))
    if index == len(ds.CHENGUANG_UNMANAGED) - 1:  # the last one: a 红管家, no 楼院长
        steward = _holder(("red_steward", ccode), people, f"P-RS-{ccode}", "红管家", place=ccode)
        plan.duties.append(DutyRow(steward, "red_steward", "community", place=ccode))
        return
    if index >= ds.CHENGUANG_COMPOUND_HEADS:
        return
    head = _holder(("compound_head", ccode), people, f"P-CH-{ccode}", "楼院长", place=ccode)
    plan.duties.append(DutyRow(head, "compound_head", "community", place=ccode))
    n = ds.CHENGUANG_BUILDINGS_PER_HEADED_COMPOUND[index]
    for bi, point in enumerate(layout.points_in(footprint, n), start=1):
        bcode = f"{ccode}-{bi:02d}"
        plan.places.append(PlaceRow(bcode, f"{bi}号楼", "building", ccode, _gj(point)))
        holder = _holder(("building_head", bcode), people, f"P-BH-{bcode}", "楼长", place=bcode)
        plan.duties.append(DutyRow(holder, "building_head", "community", place=bcode))


def _roads(
    plan: Plan,
    people: _People,
    street: ds.StreetSpec,
    street_code: str,
    geom: BaseGeometry,
    communities: list[tuple[str, BaseGeometry]],
    used: set[str],
    pool,
) -> None:
    lattice = layout.road_lattice(geom, street.roads)
    real = iter(n for n in street.real_roads if n not in used)
    names: list[str] = []
    mains: list[tuple[str, BaseGeometry]] = []
    lane_count: dict[str, int] = {}
    for road_class, line in lattice:
        if road_class == "main":
            name = next(real, None) or next(n for n in pool if n not in used)
            used.add(name)
            mains.append((name, line))
        else:
            base = min(mains, key=lambda m: m[1].distance(line))[0]
            lane_count[base] = lane_count.get(base, 0) + 1
            name = f"{base}{ROAD_LANE_NUMERALS[(lane_count[base] - 1) % 10]}巷"
            if lane_count[base] > 10:
                name = f"{base}{lane_count[base]}巷"
        names.append(name)
    street_chiefs = math.ceil(street.roads / 8)
    for i, ((road_class, line), name) in enumerate(zip(lattice, names, strict=True)):
        code = f"R-{street.unit_code}-{i + 1:03d}"
        attrs: dict[str, Any] = {
            "road_class": road_class,
            "length_m": layout.length_metres(line),
        }
        main = name in ds.MAIN_ROADS
        if main:
            attrs["two_vertical_three_horizontal"] = True  # "两纵三横" [001]
        plan.zones.append(ZoneRow(code, name, "road", street_code, _gj(line), attrs))
        j = i * street_chiefs // street.roads + 1
        chief = people.add(f"P-RC-{street.unit_code}-S{j:02d}", "街道级路长", unit=street.unit_code)
        plan.duties.append(DutyRow(chief, "road_chief", "street", zone=code))
        if main:
            k = ds.MAIN_ROADS.index(name) + 1
            chief = _holder(
                ("district_road_chief", name),
                people,
                f"P-RC-D{k:02d}",
                "区领导（区级路长）",
                place=ds.DISTRICT_CODE,
            )
            plan.duties.append(DutyRow(chief, "road_chief", "district", zone=code))
        if street.seq != "001":
            continue  # the seeds describe all three levels for 济源路街道 [000]
        mid = line.interpolate(0.5, normalized=True)
        community = min(communities, key=lambda c: c[1].distance(mid))[0]
        committee = f"{street.unit_code}-SQ{int(community[-3:]):03d}"
        chief = _holder(
            ("community_road_chief", community),
            people,
            f"P-RC-{community}",
            "社区级路长",
            unit=committee,
        )
        plan.duties.append(DutyRow(chief, "road_chief", "community", zone=code))


def _parks_and_hazards(plan: Plan) -> None:
    geoms = {p.code: p for p in plan.places}
    for seq, ci, name in ds.PARKS:
        community = f"{ds.DISTRICT_CODE}{seq}{ci + 1:03d}"
        cgeom = shape(geoms[community].geometry)
        park = layout.footprint(layout.inset(cgeom, 0.0004), size=0.002)
        code = f"P-{seq}-{ci + 1:02d}"
        plan.zones.append(
            ZoneRow(code, name, "park", community, _gj(park), {"area_m2": layout.area_m2(park)})
        )
    xw = f"{ds.DISTRICT_CODE}100"
    points = layout.points_in(shape(geoms[xw].geometry), len(ds.HAZARD_POINTS))
    for i, (name, point) in enumerate(zip(ds.HAZARD_POINTS, points, strict=True), start=1):
        plan.zones.append(
            ZoneRow(
                f"H-XW-{i:02d}",
                name,
                "hazard_point",
                xw,
                _gj(point),
                {"hazard": "flood", "on_ledger": True},  # 防汛隐患点, 整改台账 [003]
            )
        )


def _accounts(plan: Plan) -> None:
    rows = []
    for n, (username, name, roles, unit, place, _desc) in enumerate(DEMO_ACCOUNTS, start=1):
        title = _ACCOUNT_TITLES.get(roles[0], "")
        rows.append(
            PersonRow(
                code=person_code(username),
                name=name,
                phone=f"{ds.PHONE_PREFIX}9{n:03d}",
                title=title,
                unit=unit or None,
                place=place or None,
            )
        )
        plan.accounts.append(
            AccountRow(
                username=username,
                name=name,
                roles=tuple(roles),
                person=person_code(username),
                superuser=username == SUPERUSER,
            )
        )
    plan.people = rows + plan.people
    # The supervisor inspects the whole district.
    plan.duties.append(
        DutyRow(person_code("demo-supervisor"), "inspector", "district", place=ds.DISTRICT_CODE)
    )
