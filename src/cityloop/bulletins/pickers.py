"""The pickers of the "add a generated item" form: for each generator, the parameters it
takes as choices from the reader's scope (places, units, schemes and their computed periods
by name, dates as dates). Presentation only: the choices come from :mod:`queries`, and the
workflow checks the chosen values against the same reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _

from cityloop.bulletins import generators, queries


@dataclass
class Option:
    value: str
    label: str
    selected: bool = False


@dataclass
class Group:
    label: str = ""
    key: str = ""  # a period group's scheme code (the page shows one scheme's periods)
    options: list[Option] = field(default_factory=list)


@dataclass
class Picker:
    name: str  # the form field: "<generator>__<param>"
    param: str
    label: str
    kind: str  # select / date / text
    groups: list[Group] = field(default_factory=list)
    value: str = ""
    required: bool = False


@dataclass
class GeneratorForm:
    name: str
    label: str
    pickers: list[Picker]
    selected: bool = False


def field_name(generator: str, param: str) -> str:
    return f"{generator}__{param}"


def posted_params(generator: str, post) -> dict[str, Any]:
    """The chosen generator's parameters out of the posted form (empty ones left out)."""
    prefix = field_name(generator, "")
    return {k[len(prefix) :]: v for k, v in post.items() if k.startswith(prefix) and v.strip()}


def _defaults(name: str, day: date) -> dict[str, str]:
    """A generator's dates as it would take them itself, shown in the date inputs."""
    if name == "case_figures":
        end = day - timedelta(days=1)
        return {"start": end.replace(day=1).isoformat(), "end": end.isoformat()}
    if name == "round_figures":  # the rounds of the week holding the day
        monday = day - timedelta(days=day.weekday())
        return {"start": monday.isoformat(), "end": day.isoformat()}
    if name == "submissions":
        return {"start": date(day.year, 1, 1).isoformat(), "end": day.isoformat()}
    return {"as_of": day.isoformat(), "end": day.isoformat()}


def _select(options: list[tuple[str, str]], chosen: str, *, empty: str = "") -> list[Group]:
    opts = [Option("", empty, chosen == "")] if empty else []
    opts += [Option(v, label, v == chosen) for v, label in options]
    if not empty and opts and not any(o.selected for o in opts):
        opts[0].selected = True
    return [Group(options=opts)]


LABELS = {
    "place": lambda: _("Place"),
    "unit": lambda: _("Unit"),
    "scheme": lambda: _("Scheme"),
    "period": lambda: _("Period"),
    "series": lambda: _("Series"),
    "kind": lambda: _("Kind"),
    "start": lambda: _("From"),
    "end": lambda: _("To"),
    "as_of": lambda: _("As of"),
}


def _picker(actor, gen: str, param: str, chosen: str, cache: dict) -> Picker:
    name = field_name(gen, param)
    label = str(LABELS[param]()) if param in LABELS else param
    if param == "place":
        if "places" not in cache:
            cache["places"] = [(p.code, p.name) for p in queries.generator_places(actor)[:500]]
        return Picker(name, param, label, "select", _select(cache["places"], chosen), chosen, True)
    if param == "unit":
        if "units" not in cache:
            cache["units"] = [(u.code, u.name) for u in queries.generator_units(actor)[:500]]
        groups = _select(cache["units"], chosen, empty=str(_("All")))
        return Picker(name, param, label, "select", groups, chosen)
    if param == "scheme":
        schemes = cache.setdefault("schemes", queries.generator_schemes(actor))
        groups = _select([(s.code, s.name) for s in schemes], chosen)
        return Picker(name, param, label, "select", groups, chosen, True)
    if param == "period":
        schemes = cache.setdefault("schemes", queries.generator_schemes(actor))
        groups = [
            Group(
                s.name,
                s.code,
                [Option(k, lbl, k == chosen) for k, lbl in queries.generator_periods(s)],
            )
            for s in schemes
        ]
        return Picker(name, param, label, "select", groups, chosen, True)
    if param == "series":
        series = [(s.code, s.title) for s in queries.visible_series(actor)]
        return Picker(
            name, param, label, "select", _select(series, chosen, empty=str(_("All"))), chosen
        )
    if param == "kind":
        kinds = [
            ("week", str(_("Weekly supervision"))),
            ("month", str(_("Monthly scheduling"))),
            ("quarter", str(_("Quarterly notice"))),
        ]
        return Picker(name, param, label, "select", _select(kinds, chosen), chosen, True)
    if param in ("start", "end", "as_of"):
        return Picker(name, param, label, "date", value=chosen)
    return Picker(name, param, label, "text", value=chosen)


def generator_forms(actor, day: date, post=None, *, chosen: str = "") -> list[GeneratorForm]:
    """One fieldset per generator; ``post`` (a refused form) keeps what was chosen, and
    ``chosen`` (the one just used) comes up first again."""
    chosen_gen = (post or {}).get("generator", "") or chosen
    forms, cache = [], {}
    for g in generators.known():
        values = _defaults(g.name, day)
        if post is not None and g.name == chosen_gen:
            values = {p: post.get(field_name(g.name, p), "") for p in g.params}
        pickers = [_picker(actor, g.name, p, values.get(p, ""), cache) for p in g.params]
        forms.append(GeneratorForm(g.name, str(g.label), pickers, g.name == chosen_gen))
    if forms and not any(f.selected for f in forms):
        forms[0].selected = True
    return forms
