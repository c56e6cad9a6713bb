"""Page forms for meetings: they parse and name the fields; the workflow checks and writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cityloop.meetings.models import Meeting
from cityloop.meetings.workflow import DecisionInput, MeetingInput


def _choices(rows, *, blank: str | None = None) -> list[tuple[str, str]]:
    out = [("", blank)] if blank is not None else []
    return out + [(r.code, getattr(r, "name", str(r))) for r in rows]


def _people_choices(people) -> list[tuple[str, str]]:
    """A person named with their unit, since two 王芳 in one street are common."""
    return [(p.code, f"{p.name}（{p.unit.name}）" if p.unit_id else p.name) for p in people]


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Meeting.Kind.choices)
    title = forms.CharField(label=_("Meeting title"), max_length=200)
    unit = forms.ChoiceField(label=_("Organising unit"))
    held_at = forms.DateTimeField(
        label=_("Held at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    chair = forms.ChoiceField(label=_("Chair"), required=False)
    attendees = forms.MultipleChoiceField(
        label=_("People attending"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("They sign in at the meeting; others can be signed in there too."),
    )
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, units, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _choices(units)
        people_choices = _people_choices(people)
        self.fields["chair"].choices = [("", _("(none)")), *people_choices]
        self.fields["attendees"].choices = people_choices

    def meeting_input(self) -> MeetingInput:
        d = self.cleaned_data
        return MeetingInput(
            kind=d["kind"],
            title=d["title"],
            unit=d["unit"],
            held_at=d["held_at"],
            chair=d.get("chair") or "",
            location=d.get("location") or "",
            agenda=d.get("agenda") or "",
            attendees=list(d.get("attendees") or []),
        )


class SignInForm(forms.Form):
    person = forms.ChoiceField(label=_("Person"))
    absence = forms.CharField(
        label=_("Reason for absence"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to sign the person in."),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = _people_choices(people)


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 10}))


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision taken"), widget=forms.Textarea(attrs={"rows": 3}))
    responsible_unit = forms.ChoiceField(label=_("Responsible unit"))
    leader = forms.ChoiceField(label=_("Leader in charge"), required=False)
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.ChoiceField(label=_("Category"))

    def __init__(self, *args, units, people, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].choices = _choices(units)
        self.fields["leader"].choices = [("", _("(none)"))] + [(p.code, p.name) for p in people]
        self.fields["category"].choices = _choices(categories)

    def decision_input(self) -> DecisionInput:
        d = self.cleaned_data
        return DecisionInput(
            text=d["text"],
            responsible_unit=d["responsible_unit"],
            deadline=d["deadline"],
            category=d["category"],
            leader=d.get("leader") or "",
        )
