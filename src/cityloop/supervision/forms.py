"""Forms of the supervision pages: they parse and label; the workflow validates the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cityloop.cases.forms import PhotoField
from cityloop.supervision.models import Colour, Finding, Inspection, Rectification

DATE = forms.DateInput(attrs={"type": "date"})


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
    code = forms.CharField(label=_("Code"), max_length=40)
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
