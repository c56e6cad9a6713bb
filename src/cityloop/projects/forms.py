"""Forms of the project pages: they parse and label; the services validate the rules (scope,
roles, work items), so a code posted from outside the choices is refused there, not here."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from cityloop.projects import services
from cityloop.projects.models import Opinion, ProjectInspection

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
BLANK = ("", "—")
ITEM_ROWS = 3  # rows shown on an empty form; "添加一行" clones one
MAX_ROWS = 200


class ProjectForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Project name"), max_length=200)
    type = forms.CharField(label=_("Type"))
    place = forms.CharField(label=_("Place"), required=False)
    responsible_unit = forms.CharField(label=_("Responsible unit"))
    supervising_unit = forms.CharField(label=_("Supervising unit"), required=False)
    task = forms.IntegerField(label=_("Key task driven"), required=False)
    start = forms.DateField(label=_("Start"), widget=DATE)
    deadline = forms.DateField(label=_("Deadline"), widget=DATE)
    budget = forms.DecimalField(
        label=_("Budget / investment (10k yuan)"), required=False, min_value=0
    )

    def __init__(self, *args, types=(), places=(), units=(), tasks=(), **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields
        f["type"].widget = forms.Select(choices=[(t.code, t.name) for t in types])
        f["place"].widget = forms.Select(choices=[BLANK, *((p.code, p.name) for p in places)])
        unit_choices = [(u.code, u.name) for u in units]
        f["responsible_unit"].widget = forms.Select(choices=unit_choices)
        f["supervising_unit"].widget = forms.Select(choices=[BLANK, *unit_choices])
        f["task"].widget = forms.Select(
            choices=[BLANK, *((t.pk, f"{t.code} {t.title}") for t in tasks)]
        )

    def project_input(self, items: list[services.ItemInput]) -> services.ProjectInput:
        d = self.cleaned_data
        return services.ProjectInput(
            code=d["code"],
            name=d["name"],
            type=d["type"],
            responsible_unit=d["responsible_unit"],
            supervising_unit=d["supervising_unit"],
            places=[d["place"]] if d["place"] else [],
            start=d["start"],
            deadline=d["deadline"],
            budget=d["budget"],
            items=items,
            task_id=d["task"],
        )


class ProjectEditForm(ProjectForm):
    """修改项目信息: :class:`ProjectForm` without the code, type and task (fixed once made),
    with a note saying why; the choices include the project's own units and place."""

    note = forms.CharField(
        label=_("Reason for the change"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, project, places=(), units=(), **kwargs):
        units = {u.pk: u for u in units}
        for u in (project.responsible_unit, project.supervising_unit):
            if u is not None:
                units.setdefault(u.pk, u)
        first = project.places.order_by("path").first()
        places = {p.pk: p for p in places}
        if first is not None:
            places.setdefault(first.pk, first)
        kwargs.setdefault(
            "initial",
            {
                "name": project.name,
                "place": first.code if first else "",
                "responsible_unit": project.responsible_unit.code,
                "supervising_unit": project.supervising_unit.code
                if project.supervising_unit_id
                else "",
                "start": project.start,
                "deadline": project.deadline,
                "budget": project.budget,
            },
        )
        super().__init__(*args, places=places.values(), units=units.values(), **kwargs)
        for name in ("code", "type", "task"):
            del self.fields[name]

    def changes(self) -> dict:
        """The cleaned form as the edit's fields; the places only when the place was changed
        (a project of several places keeps them unless the page's one place is changed)."""
        d = self.cleaned_data
        out = {
            "name": d["name"],
            "responsible_unit": d["responsible_unit"],
            "supervising_unit": d["supervising_unit"],
            "start": d["start"],
            "deadline": d["deadline"],
            "budget": d["budget"],
        }
        if "place" in self.changed_data:
            out["places"] = [d["place"]] if d["place"] else []
        return out


@dataclass
class Row:
    """One work item row as typed (shown again when the form is refused)."""

    name: str = ""
    unit_of_measure: str = ""
    planned: str = ""
    weight: str = "1"

    @property
    def blank(self) -> bool:
        return not (self.name.strip() or self.unit_of_measure.strip() or self.planned.strip())


def item_rows(post: QueryDict | None) -> list[Row]:
    """The posted work item rows, in order (at least the empty form's rows)."""
    if post is None:
        return [Row() for _n in range(ITEM_ROWS)]
    cols = [post.getlist(k)[:MAX_ROWS] for k in ("item_name", "item_uom", "item_planned")]
    weights = post.getlist("item_weight")[:MAX_ROWS]
    n = max((len(c) for c in cols), default=0)

    def at(values: list[str], i: int, default: str = "") -> str:
        return values[i] if i < len(values) else default

    rows = [Row(*(at(c, i) for c in cols), at(weights, i, "1")) for i in range(n)]
    return rows + [Row() for _n in range(ITEM_ROWS - len(rows))]


def item_inputs(rows: list[Row]) -> list[services.ItemInput]:
    """The rows that were filled in, each numbered as shown on the page."""
    return [
        services.ItemInput(
            name=r.name,
            unit_of_measure=r.unit_of_measure,
            planned=r.planned.strip(),
            weight=r.weight.strip() or None,
            row=n,
        )
        for n, r in enumerate(rows, 1)
        if not r.blank
    ]


class OpinionForm(forms.Form):
    method = forms.ChoiceField(label=_("Way of gathering"), choices=Opinion.Method.choices)
    on = forms.DateField(label=_("Date"), widget=DATE)
    people_reached = forms.IntegerField(label=_("People reached"))
    place = forms.IntegerField(label=_("Place"), required=False)
    summary = forms.CharField(
        label=_("Summary"), required=False, max_length=4000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].widget = forms.Select(
            choices=[BLANK, *((p.pk, p.name) for p in places)]
        )


REQUEST_ROWS = 3


def request_rows(post: QueryDict | None) -> list[dict[str, str]]:
    """The request rows to show: as typed when the gathering was refused, else empty ones."""
    rows = []
    if post is not None:
        kinds, texts = post.getlist("request_kind"), post.getlist("request_text")
        people = post.getlist("request_people")
        for i, text in enumerate(texts[:MAX_ROWS]):
            rows.append(
                {
                    "kind": kinds[i] if i < len(kinds) else "",
                    "text": text,
                    "people": people[i] if i < len(people) else "1",
                }
            )
    blank = {"kind": "", "text": "", "people": "1"}
    return rows + [dict(blank) for _n in range(REQUEST_ROWS - len(rows))]


def request_inputs(post: QueryDict) -> list[services.RequestInput]:
    """The residents' requests typed under a gathering (rows without text are skipped)."""
    kinds = post.getlist("request_kind")[:MAX_ROWS]
    texts = post.getlist("request_text")[:MAX_ROWS]
    people = post.getlist("request_people")[:MAX_ROWS]
    out = []
    for i, text in enumerate(texts):
        if not text.strip():
            continue
        raw = (people[i] if i < len(people) else "").strip() or "1"
        out.append(
            services.RequestInput(
                kind=kinds[i] if i < len(kinds) else "",
                text=text,
                people=int(raw) if raw.isdigit() else 0,
            )
        )
    return out


class DesignItemForm(forms.Form):
    title = forms.CharField(label=_("Design item"), max_length=200)
    kind = forms.CharField(label=_("Kind of request"), required=False)
    requests = forms.TypedMultipleChoiceField(
        label=_("Answers these requests"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=4000)

    def __init__(self, *args, kinds=(), requests=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget = forms.Select(
            choices=[BLANK, *((k.code, k.name) for k in kinds)]
        )
        self.fields["requests"].choices = [
            (r.pk, f"{r.kind.name}：{r.text}（{r.people}）") for r in requests
        ]


class InspectionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ProjectInspection.Kind.choices)
    office = forms.IntegerField(label=_("Inspecting unit"))
    on = forms.DateField(label=_("Date"), widget=DATE)
    team = forms.CharField(label=_("Inspection team"), max_length=100)
    summary = forms.CharField(
        label=_("Summary"), required=False, max_length=4000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].widget = forms.Select(choices=[(u.pk, u.name) for u in offices])
