"""Forms of the supervision pages: they parse and label; the workflow validates the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cityloop.core.photos import PhotoField
from cityloop.supervision.models import (
    Cadence,
    Colour,
    Finding,
    Inspection,
    Rectification,
    TaskLevel,
)

# A date input takes ISO dates whatever the language (zh formats them 2026/01/01).
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BoardForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DATE)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=0, max_value=2100)
    colour = forms.ChoiceField(
        label=_("Light"),
        required=False,
        choices=[
            ("", _("All")),
            *[(c, Colour(c).label) for c in Colour.lit()],
            ("done", _("Done")),
        ],
    )
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    leader = forms.TypedChoiceField(
        label=_("Leader in charge"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, units=(), categories=(), leaders=(), **kwargs):
        super().__init__(*args, **kwargs)
        everyone = [("", _("All"))]
        self.fields["unit"].choices = everyone + [(u.pk, u.name) for u in units]
        self.fields["category"].choices = everyone + [(c.pk, c.name) for c in categories]
        self.fields["leader"].choices = everyone + [(p.pk, p.name) for p in leaders]


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("Progress"), max_length=4000, widget=forms.Textarea)
    percent = forms.DecimalField(
        label=_("Progress (%)"), required=False, min_value=0, max_value=100, decimal_places=1
    )
    value = forms.DecimalField(
        label=_("Indicator value"), required=False, min_value=0, decimal_places=3
    )
    on = forms.DateField(label=_("As of"), required=False, widget=DATE)


class TextForm(forms.Form):
    text = forms.CharField(label=_("Text"), max_length=4000, widget=forms.Textarea)


class DoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=4000, required=False)


class ReinspectForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("1", _("Rectified")), ("0", _("Not rectified"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Note"), max_length=4000, required=False)


class InspectionForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("Leave empty: numbered per inspecting unit and year."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Inspection.Kind.choices)
    on = forms.DateField(label=_("Date"), widget=DATE)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    team = forms.CharField(label=_("Inspection team"), max_length=100)
    unit = forms.TypedChoiceField(label=_("Inspecting unit"), coerce=int)
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]


class FindingForm(forms.Form):
    kind = forms.CharField(label=_("Kind of problem"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=4000, widget=forms.Textarea)
    unit = forms.TypedChoiceField(label=_("Responsible unit"), coerce=int)
    task = forms.TypedChoiceField(label=_("Task"), required=False, coerce=int, empty_value=None)
    severity = forms.ChoiceField(label=_("Severity"), choices=Finding.Severity.choices)
    is_problem = forms.BooleanField(label=_("A problem for the task's light"), required=False)
    mode = forms.ChoiceField(label=_("Rectification"), choices=Rectification.Mode.choices)
    due = forms.DateField(label=_("Time limit"), required=False, widget=DATE)
    plan = forms.CharField(label=_("Rectification plan"), required=False, widget=forms.Textarea)
    photos = PhotoField(label=_("Photos"))
    plan_steps = forms.CharField(
        label=_("Plan milestones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: YYYY-MM-DD title"),
    )

    def __init__(self, *args, units=(), tasks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.fields["task"].choices = [("", "—")] + [(t.pk, f"{t.code} {t.title}") for t in tasks]

    def clean_plan_steps(self) -> list[tuple[str, object]]:
        from datetime import date

        steps = []
        for n, line in enumerate(self.cleaned_data.get("plan_steps", "").splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            day, _sep, title = line.partition(" ")
            try:
                steps.append((title.strip(), date.fromisoformat(day)))
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)d: start with a date YYYY-MM-DD."), params={"n": n}
                ) from None
        return steps


class LetterForm(forms.Form):
    issuer = forms.TypedChoiceField(label=_("Issuer"), coerce=int)
    addressee = forms.TypedChoiceField(label=_("Addressee"), coerce=int)
    answer_due = forms.DateField(label=_("Answer due"), widget=DATE)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)

    def __init__(self, *args, issuers=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].choices = [(u.pk, u.name) for u in issuers]
        self.fields["addressee"].choices = [(u.pk, u.name) for u in units]


CHOOSE = {"invalid_choice": _("Choose one of the offered options.")}
UNITS_SIZE = forms.SelectMultiple(attrs={"size": 6})


class TaskForm(forms.Form):
    """新建任务: the page's side of ``services.TaskInput`` (choices are the reader's scope)."""

    code = forms.CharField(label=_("Code"), max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), error_messages=CHOOSE)
    category = forms.ChoiceField(label=_("Category"), error_messages=CHOOSE)
    level = forms.ChoiceField(
        label=_("Level"), choices=TaskLevel.choices, initial=TaskLevel.STREET, error_messages=CHOOSE
    )
    title = forms.CharField(label=_("Task title"), max_length=200)
    annual_goal = forms.CharField(
        label=_("Annual goal"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    indicator_name = forms.CharField(label=_("Indicator"), max_length=60, required=False)
    indicator_unit = forms.CharField(label=_("Indicator unit"), max_length=20, required=False)
    target_value = forms.DecimalField(
        label=_("Target value"), required=False, max_digits=14, decimal_places=3
    )
    leader = forms.TypedChoiceField(
        label=_("Leader in charge"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages=CHOOSE,
    )
    responsible_unit = forms.TypedChoiceField(
        label=_("Responsible unit"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages=CHOOSE,
    )
    split_units = forms.TypedMultipleChoiceField(
        label=_("Split to several units (分解到多个单位)"),
        required=False,
        coerce=int,
        widget=UNITS_SIZE,
        error_messages=CHOOSE,
        help_text=_("With a parent task: one sub-task of it per unit chosen here."),
    )
    assisting_units = forms.TypedMultipleChoiceField(
        label=_("Assisting units"),
        required=False,
        coerce=int,
        widget=UNITS_SIZE,
        error_messages=CHOOSE,
    )
    supervising_unit = forms.TypedChoiceField(
        label=_("Supervising unit"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages=CHOOSE,
    )
    start = forms.DateField(label=_("Start"), widget=DATE)
    deadline = forms.DateField(label=_("Deadline"), widget=DATE)
    parent = forms.TypedChoiceField(
        label=_("Parent task"), required=False, coerce=int, empty_value=None, error_messages=CHOOSE
    )
    report_cadence = forms.ChoiceField(
        label=_("Report cadence"),
        choices=Cadence.choices,
        initial=Cadence.WEEKLY,
        error_messages=CHOOSE,
    )

    field_order = [
        *("code", "kind", "category", "level", "title", "annual_goal"),
        *("indicator_name", "indicator_unit", "target_value", "leader", "responsible_unit"),
        *("assisting_units", "supervising_unit", "start", "deadline", "report_cadence"),
        *("parent", "split_units"),
    ]

    def __init__(self, *args, kinds=(), categories=(), units=(), people=(), tasks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._units = {u.pk: u for u in units}
        self._people = {p.pk: p for p in people}
        self._tasks = {t.pk: t for t in tasks}
        none = [("", "—")]
        unit_choices = [(u.pk, u.name) for u in self._units.values()]
        self.fields["kind"].choices = [(k.code, k.name) for k in kinds]
        self.fields["category"].choices = [(c.code, c.name) for c in categories]
        self.fields["leader"].choices = none + [
            (p.pk, f"{p.name}（{p.unit.name}）" if p.unit_id else p.name)
            for p in self._people.values()
        ]
        self.fields["responsible_unit"].choices = none + unit_choices
        self.fields["supervising_unit"].choices = none + unit_choices
        self.fields["split_units"].choices = unit_choices
        self.fields["assisting_units"].choices = unit_choices
        self.fields["parent"].choices = none + [
            (t.pk, f"{t.code} {t.title}") for t in self._tasks.values()
        ]

    def clean(self):
        data = super().clean()
        if not data.get("split_units") and "responsible_unit" in data:
            if data["responsible_unit"] is None:
                self.add_error("responsible_unit", _("Give the responsible unit."))
        return data

    def _code(self, objects: dict, pk) -> str:
        return objects[pk].code if pk is not None else ""

    def task_input(self):
        """The cleaned form as the service's input (call after ``is_valid()``)."""
        from cityloop.supervision.services import TaskInput

        d = self.cleaned_data
        return TaskInput(
            code=d["code"],
            title=d["title"],
            kind=d["kind"],
            category=d["category"],
            level=d["level"],
            responsible_unit=self._code(self._units, d["responsible_unit"]),
            start=d["start"],
            deadline=d["deadline"],
            annual_goal=d["annual_goal"],
            indicator_name=d["indicator_name"],
            indicator_unit=d["indicator_unit"],
            target_value=float(d["target_value"]) if d["target_value"] is not None else None,
            leader=self._code(self._people, d["leader"]),
            supervising_unit=self._code(self._units, d["supervising_unit"]),
            assisting_units=[self._units[pk].code for pk in d["assisting_units"]],
            parent=self._code(self._tasks, d["parent"]),
            report_cadence=d["report_cadence"],
        )

    def split_codes(self) -> list[str]:
        return [self._units[pk].code for pk in self.cleaned_data["split_units"]]


class TaskEditForm(TaskForm):
    """修改任务信息: :class:`TaskForm` without the code, parent and split (fixed once made),
    with a note saying why; the choices include the task's own units and leader."""

    note = forms.CharField(
        label=_("Reason for the change"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, task, units=(), people=(), **kwargs):
        units = {u.pk: u for u in [*units, task.responsible_unit, *task.assisting_units.all()]}
        if task.supervising_unit_id:
            units.setdefault(task.supervising_unit_id, task.supervising_unit)
        people = {p.pk: p for p in people}
        if task.leader_id:
            people.setdefault(task.leader_id, task.leader)
        kwargs.setdefault("initial", self.initial_for(task))
        super().__init__(*args, units=units.values(), people=people.values(), **kwargs)
        for name in ("code", "parent", "split_units"):
            del self.fields[name]

    @staticmethod
    def initial_for(task) -> dict:
        return {
            "kind": task.kind.code,
            "category": task.category.code,
            "level": task.level,
            "title": task.title,
            "annual_goal": task.annual_goal,
            "indicator_name": task.indicator_name,
            "indicator_unit": task.indicator_unit,
            "target_value": task.target_value,
            "leader": task.leader_id,
            "responsible_unit": task.responsible_unit_id,
            "assisting_units": [u.pk for u in task.assisting_units.all()],
            "supervising_unit": task.supervising_unit_id,
            "start": task.start,
            "deadline": task.deadline,
            "report_cadence": task.report_cadence,
        }

    def changes(self) -> dict:
        """The cleaned form as the edit's fields, in the service's terms (codes)."""
        d = self.cleaned_data
        return {
            "title": d["title"],
            "kind": d["kind"],
            "category": d["category"],
            "level": d["level"],
            "annual_goal": d["annual_goal"],
            "indicator_name": d["indicator_name"],
            "indicator_unit": d["indicator_unit"],
            "target_value": float(d["target_value"]) if d["target_value"] is not None else None,
            "leader": self._code(self._people, d["leader"]),
            "responsible_unit": self._code(self._units, d["responsible_unit"]),
            "assisting_units": [self._units[pk].code for pk in d["assisting_units"]],
            "supervising_unit": self._code(self._units, d["supervising_unit"]),
            "start": d["start"],
            "deadline": d["deadline"],
            "report_cadence": d["report_cadence"],
        }


class PlanForm:
    """编排节点计划: rows of step title, working days and (after 推算日期) a due date.

    Plain repeated inputs (``step_title``, ``step_days``, ``step_due``) rather than a formset,
    so that a row cloned by the page's script needs no renumbering. Empty rows are skipped.
    """

    EMPTY_ROWS = 3

    def __init__(self, data=None, *, rows=None):
        self.errors: list[str] = []
        if data is None:
            self.rows = rows or [{"title": "", "days": "", "due": ""}] * self.EMPTY_ROWS
            return
        titles = data.getlist("step_title")
        days = data.getlist("step_days")
        dues = data.getlist("step_due")
        self.rows = []
        for i, title in enumerate(titles):
            row = {
                "title": title.strip(),
                "days": days[i].strip() if i < len(days) else "",
                "due": dues[i].strip() if i < len(dues) else "",
            }
            if row["title"] or row["days"] or row["due"]:
                self.rows.append(row)

    def steps(self):
        """The rows as scheduler steps; a row that does not parse is an error."""
        from cityloop.supervision.scheduling import Step

        steps = []
        for n, row in enumerate(self.rows, 1):
            try:
                days = int(row["days"])
            except ValueError:
                self.errors.append(
                    str(_("Row %(n)d: give the working days as a whole number.") % {"n": n})
                )
                continue
            steps.append(Step(row["title"], days))
        if not self.rows:
            self.errors.append(str(_("Give at least one step to schedule.")))
        return steps

    def dated(self) -> bool:
        """Every row has a due date (the plan was proposed, and perhaps edited); a plan with
        dates on some rows only is an error, not a plan to schedule again silently."""
        dates = [bool(row["due"]) for row in self.rows]
        if any(dates) and not all(dates):
            self.errors.append(
                str(
                    _(
                        "Some rows have a date and some do not: propose the dates again, "
                        "or give every date."
                    )
                )
            )
        return bool(dates) and all(dates)

    def milestones(self, steps) -> list[dict]:
        """The dated rows as milestones, their planned percents from the working days."""
        from datetime import date

        from cityloop.supervision.scheduling import planned_percents

        result = []
        percents = planned_percents(steps)
        for n, (row, step, pct) in enumerate(zip(self.rows, steps, percents, strict=True), 1):
            try:
                due = date.fromisoformat(row["due"])
            except ValueError:
                self.errors.append(str(_("Row %(n)d: the date is not valid.") % {"n": n}))
                continue
            result.append(
                {
                    "title": step.title,
                    "due": due,
                    "duration_days": step.duration_days,
                    "planned_percent": pct,
                }
            )
        return result

    def propose(self, proposed) -> None:
        """Show the scheduler's dates in the rows."""
        self.rows = [
            {"title": p.title, "days": str(p.duration_days), "due": p.due.isoformat()}
            for p in proposed
        ]
