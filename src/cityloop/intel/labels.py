"""Labels and the things they name: categories and units of this deployment.

A model trained on this deployment's own cases uses category and unit **codes** as labels. A
model trained from a CSV uses whatever the file says: category names (城乡建设), or agency
names as a mailbox wrote them, which are not normalised (商洛市公安局交通警察支队 /
市交警支队). :func:`normalise_agency` folds the usual variants of one agency's name into one
label before training, and :func:`resolve_category` / :func:`resolve_unit` find the row a
label stands for (by code, then name, then normalised name), or nothing.
"""

from __future__ import annotations

import re

from cityloop.cases.models import Category
from cityloop.org.models import Unit

# Long official forms → the short forms people write; applied in order, longest first.
_AGENCY_SHORT = [
    ("人民政府办公室", "政府办"),
    ("政府办公室", "政府办"),
    ("人民政府", "政府"),
    ("公安局交通警察支队", "交警支队"),
    ("公安局交通警察大队", "交警大队"),
    ("交通警察支队", "交警支队"),
    ("交通警察大队", "交警大队"),
    ("公安局交警支队", "交警支队"),
    ("人力资源和社会保障局", "人社局"),
    ("住房和城乡建设局", "住建局"),
    ("住房和城乡建设委员会", "住建局"),
    ("住房与城乡建设局", "住建局"),
    ("城乡建设局", "住建局"),
    ("建设局", "住建局"),
    ("交通运输局", "交通局"),
    ("卫生健康委员会", "卫健委"),
    ("卫生和计划生育委员会", "卫计委"),
    ("卫生和计划生育局", "卫计委"),
    ("发展和改革委员会", "发改委"),
    ("环境保护局", "环保局"),
    ("城市管理执法局", "城管局"),
    ("城市管理局", "城管局"),
    ("教育和体育局", "教体局"),
    ("市场监督管理局", "市场监管局"),
    ("自然资源和规划局", "自然资源局"),
    ("政务信息办", "信息办"),
    ("政府信息办", "信息办"),
]
_SEPARATORS = re.compile(r"[\s、，,;；/]+")
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")


def normalise_agency(name: str, *, city: str = "") -> str:
    """One spelling per agency: first agency of a list, official long forms shortened, the
    city's own name written as 市 (商洛市公安局 → 市公安局), a bare office name put under 市.

    ``city`` is the deployment's city name (e.g. 商洛市); without it any leading ``…市`` is
    taken for the city.
    """
    parts = [p for p in _SEPARATORS.split((name or "").strip()) if p]
    if not parts:
        return ""
    text = _BRACKETS.sub("", parts[0]) or parts[0]
    for prefix in (f"陕西省{city}", city) if city else ():
        if prefix and text.startswith(prefix):
            text = "市" + text[len(prefix) :]
            break
    else:
        text = re.sub(r"^(?:[^\s市县区]{1,6}省)?[^\s市县区]{2,5}市(?=.)", "市", text)
    for long, short in _AGENCY_SHORT:
        text = text.replace(long, short)
    text = re.sub(r"^市市", "市", text)
    # A short office name without its level (信息办, 人社局) is the city's own.
    if len(text) <= 5 and not text.startswith("市") and text.endswith(("办", "局", "委", "支队")):
        text = "市" + text
    return text


def resolve_category(label: str) -> Category | None:
    """The category a label names: by code, else a leaf by name, else a main category by name."""
    label = (label or "").strip()
    if not label:
        return None
    qs = Category.objects.select_related("parent").filter(is_active=True)
    found = qs.filter(code=label).first()
    if found is None:
        found = qs.filter(name=label, parent__isnull=False).order_by("sort", "code").first()
    if found is None:
        found = qs.filter(name=label, parent__isnull=True).order_by("sort", "code").first()
    return found


def resolve_unit(label: str) -> Unit | None:
    """The unit a label names: by code, by name or short name, else by normalised name."""
    label = (label or "").strip()
    if not label:
        return None
    found = Unit.objects.filter(code=label).first()
    if found is None:
        found = Unit.objects.filter(name=label).order_by("path").first()
    if found is None:
        found = Unit.objects.filter(short_name=label).order_by("path").first()
    if found is None:
        wanted = normalise_agency(label)
        for unit in Unit.objects.only("pk", "name", "short_name", "code", "path"):
            if wanted in (normalise_agency(unit.name), normalise_agency(unit.short_name)):
                return unit
    return found


def category_label(category: Category) -> str:
    return category.code


def unit_label(unit: Unit) -> str:
    return unit.code
