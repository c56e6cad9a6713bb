"""Page forms for rosters: they parse and name the fields; the workflow checks and writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cityloop.duty.models import Shift


def _people_choices(people, *, blank: bool = True) -> list[tuple[str, str]]:
    out = [("", _("(nobody)"))] if blank else []
    return out + [(p.code, f"{p.name}（{p.unit.name}）" if p.unit_id else p.name) for p in people]


class ShiftForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Shift.Kind.choices)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    on_duty = forms.ChoiceField(label=_("Person on duty"), required=False)
    leader = forms.ChoiceField(label=_("Leader on call"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on_duty"].choices = _people_choices(people)
        self.fields["leader"].choices = _people_choices(people)


class AssignForm(forms.Form):
    on_duty = forms.ChoiceField(label=_("Person on duty"), required=False)
    leader = forms.ChoiceField(label=_("Leader on call"), required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on_duty"].choices = _people_choices(people)
        self.fields["leader"].choices = _people_choices(people)


class SwapForm(forms.Form):
    role = forms.ChoiceField(label=_("Place on the shift"), choices=Shift.Role.choices)
    replacement = forms.ChoiceField(label=_("Replacement"))
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replacement"].choices = _people_choices(people, blank=False)


class HandoverForm(forms.Form):
    summary = forms.CharField(
        label=_("Handed on"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    open_matters = forms.CharField(
        label=_("Open matters"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One matter a line: what the next shift must follow up."),
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Roster file (.xlsx or .csv)"))
