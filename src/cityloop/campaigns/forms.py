"""The form of the campaign pages: it reads types and labels them; the service decides what is
allowed (a weekly campaign names its weekday, the end is after the start, who organises)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cityloop.campaigns.models import Campaign
from cityloop.campaigns.services import CampaignInput
from cityloop.core.errors import DomainError
from cityloop.org.models import Unit

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Monday first, as date.weekday() and the service count (0 = Monday).
WEEKDAYS = (
    _("Mondays"),
    _("Tuesdays"),
    _("Wednesdays"),
    _("Thursdays"),
    _("Fridays"),
    _("Saturdays"),
    _("Sundays"),
)
CHOOSE = _("Choose from the list.")
# A refusal of the service shown next to the field it is about; the others above the form.
ERROR_FIELDS = {
    "campaign_title_invalid": "title",
    "campaign_kind_invalid": "kind",
    "campaign_recurrence_invalid": "recurrence",
    "campaign_weekday_required": "weekday",
    "campaign_dates_invalid": "end",
    "campaign_not_organiser": "organiser",
    "place_unknown": "places",
}


class _UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class _UnitsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Campaign name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Campaign.Kind.choices, error_messages={"invalid_choice": CHOOSE}
    )
    organiser = _UnitChoice(
        label=_("Organiser"),
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": CHOOSE},
    )
    partners = _UnitsChoice(
        label=_("Partner units"),
        queryset=None,
        required=False,
        error_messages={"invalid_choice": CHOOSE, "invalid_pk_value": CHOOSE},
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    places = _UnitsChoice(
        label=_("Places"),
        queryset=None,
        required=False,
        help_text=_("Leave empty to hold sessions anywhere."),
        error_messages={"invalid_choice": CHOOSE, "invalid_pk_value": CHOOSE},
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    start = forms.DateField(label=_("Start"), widget=DATE)
    recurrence = forms.ChoiceField(
        label=_("Recurrence"),
        choices=Campaign.Recurrence.choices,
        initial=Campaign.Recurrence.ONCE,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": CHOOSE},
    )
    weekday = forms.TypedChoiceField(
        label=_("weekday"),
        choices=[("", "—"), *((str(i), name) for i, name in enumerate(WEEKDAYS))],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("For a weekly campaign: the day it is held."),
        error_messages={"invalid_choice": CHOOSE},
    )
    end = forms.DateField(
        label=_("End date"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty while the campaign runs."),
    )
    description = forms.CharField(
        label=_("description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, organisers, partners, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = Unit.objects.filter(
            pk__in=[u.pk for u in organisers]
        ).order_by("path")
        self.fields["partners"].queryset = partners
        self.fields["places"].queryset = places

    def campaign_input(self, code: str) -> CampaignInput:
        d = self.cleaned_data
        return CampaignInput(
            code=code,
            title=d["title"],
            kind=d["kind"],
            organiser=d["organiser"].code,
            start=d["start"],
            recurrence=d["recurrence"],
            weekday=d["weekday"],
            end=d["end"],
            partners=[u.code for u in d["partners"]],
            places=[p.code for p in d["places"]],
            description=d["description"],
        )

    def refuse(self, exc: DomainError) -> None:
        """Put the service's refusal next to the field it is about, or above the form."""
        field = ERROR_FIELDS.get(exc.code)
        self.add_error(field if field in self.fields else None, str(exc.message))
