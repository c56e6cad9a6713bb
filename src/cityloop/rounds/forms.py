"""Page forms for rounds: they parse and name the fields; the workflow checks and writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


def _lines(value: str) -> list[str]:
    return [s.strip() for s in (value or "").splitlines() if s.strip()]


class RoundForm(forms.Form):
    unit = forms.ChoiceField(label=_("Street unit"))
    week = forms.CharField(label=_("ISO week"), max_length=8, help_text=_("Like 2026-W48."))
    researchers = forms.MultipleChoiceField(
        label=_("Researchers"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    places = forms.CharField(
        label=_("Places visited"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line."),
    )

    def __init__(self, *args, units, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]
        self.fields["researchers"].choices = [(p.code, p.name) for p in people]


class DemandForm(forms.Form):
    text = forms.CharField(label=_("Demand"), widget=forms.Textarea(attrs={"rows": 3}))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    raised_by = forms.CharField(label=_("Raised by"), max_length=100, required=False)
    photos = forms.CharField(
        label=_("Photo ids"),
        required=False,
        help_text=_("One per line."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    list_id = forms.TypedChoiceField(
        label=_("Improvement list"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, lists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["list_id"].choices = [("", "—")] + [(str(x.pk), x.name) for x in lists]

    def photo_ids(self) -> list[str]:
        return _lines(self.cleaned_data.get("photos") or "")


class HandleForm(forms.Form):
    """One form for the handling steps; the action button says which."""

    number = forms.TypedChoiceField(label=_("Demand no."), coerce=int)
    list_id = forms.TypedChoiceField(
        label=_("Improvement list"), required=False, coerce=int, empty_value=None
    )
    into = forms.IntegerField(label=_("Merge into demand no."), required=False, min_value=1)
    into_round = forms.ChoiceField(label=_("Of the round"), required=False)
    projects = forms.MultipleChoiceField(label=_("Projects"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    unit = forms.ChoiceField(label=_("District department"), required=False)
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, *args, numbers, lists, projects, units, categories, rounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].choices = [(str(n), str(n)) for n in numbers]
        self.fields["into_round"].choices = [
            (r.code, _("%(week)s (this round)") % {"week": r.week} if i == 0 else r.week)
            for i, r in enumerate(rounds)
        ]
        self.fields["list_id"].choices = [("", "—")] + [(str(x.pk), x.name) for x in lists]
        self.fields["projects"].choices = [(p.code, p.name) for p in projects]
        self.fields["unit"].choices = [("", "—")] + [(u.code, u.name) for u in units]
        self.fields["category"].choices = [("", "—")] + [(c.code, c.name) for c in categories]
