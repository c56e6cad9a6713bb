"""Forms of the case pages: the resident and staff report forms, the workbench filter and one
small form per workflow action.

Forms only parse and check the shape of the input (required, lengths, numbers, choices built
from scoped queries); the rules of the loop stay in :mod:`cityloop.cases.workflow`, which has
the last word. Each action form turns its cleaned data into the keyword arguments of its
workflow function with :meth:`ActionForm.payload`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cityloop.cases import actions, queries, routing
from cityloop.cases.models import Case, Category
from cityloop.cases.workflow import MAX_EXTENSION_DAYS, MIN_EXTENSION_DAYS
from cityloop.core.photos import PhotoField
from cityloop.org import queries as org_queries
from cityloop.org.models import Person, Unit

REQUIRED = _("This field is required.")
REASON_REQUIRED = _("Give the reason.")
PHONE_DIGITS = (7, 20)

# The workflow's limits, in the workflow's words (the same msgid, shown before it is asked).
EXTENSION_DAYS_MESSAGE = lazy(
    lambda: (
        gettext("An extension is %(min)s to %(max)s working days.")
        % {"min": MIN_EXTENSION_DAYS, "max": MAX_EXTENSION_DAYS}
    ),
    str,
)()


def category_choices(blank_label) -> tuple[list, dict[int, Category]]:
    """Leaves grouped under their main class, and the leaves by id."""
    choices: list = [("", blank_label)]
    by_id: dict[int, Category] = {}
    for main, leaves in queries.category_tree():
        if leaves:
            choices.append((main.name, [(leaf.pk, leaf.name) for leaf in leaves]))
            by_id.update({leaf.pk: leaf for leaf in leaves})
    return choices, by_id


def _text(label, *, required: bool = True, max_length: int = 300, rows: int = 3, message=None):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": message or REQUIRED},
    )


def _phone_digits(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    if value and not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        raise forms.ValidationError(_("Enter a phone number (digits only)."), code="phone")
    return value.strip()


# --- report forms ------------------------------------------------------------------------------


class ReportForm(forms.Form):
    """The resident's form on ``/report/``; the staff intake form adds source and more."""

    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    description = _text(
        _("What is the problem?"),
        max_length=2000,
        rows=4,
        message=_("Please describe the problem."),
    )
    photos = PhotoField(label=_("Photos"))
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    share_gps = forms.BooleanField(label=_("Use the photo's location"), required=False)
    hazard_point = forms.ChoiceField(label=_("Hazard point (optional)"), required=False)
    reporter_name = forms.CharField(label=_("Your name"), required=False, max_length=50)
    reporter_phone = forms.CharField(label=_("Your phone"), required=False, max_length=30)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices, self.categories = category_choices(_("Not sure"))
        self.fields["category"].choices = choices
        points = queries.hazard_point_choices()
        self.has_hazard_points = bool(points)
        self.fields["hazard_point"].choices = [("", _("None: not at a hazard point")), *points]
        self.fields["description"].widget.attrs["placeholder"] = _(
            "What is wrong, where exactly, since when"
        )
        self.fields["address"].widget.attrs["placeholder"] = _(
            "e.g. 06 compound, building 3, east gate"
        )
        self.fields["reporter_phone"].widget.attrs.update(
            {"inputmode": "tel", "autocomplete": "tel"}
        )
        self.fields["reporter_name"].widget.attrs["autocomplete"] = "name"

    def clean_reporter_phone(self) -> str:
        return _phone_digits(self.cleaned_data.get("reporter_phone", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lng, lat = data.get("lng"), data.get("lat")
        if (lng is None) != (lat is None):
            self.add_error("lng", _("Give both longitude and latitude."))
        elif (
            lng is None
            and not data.get("hazard_point")
            and not (data.get("address") or "").strip()
            and not (data.get("share_gps") and data.get("photos"))
            and "lng" not in self.errors
            and "lat" not in self.errors
        ):
            self.add_error(
                "lng",
                _("Say where the problem is: a point on the map, your location or an address."),
            )
        return data

    def category_obj(self) -> Category | None:
        pk = self.cleaned_data.get("category")
        return self.categories.get(pk) if pk else None

    def report_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`workflow.report` (photos are added by the view)."""
        d = self.cleaned_data
        return {
            "description": d["description"],
            "category": self.category_obj(),
            "lng": d.get("lng"),
            "lat": d.get("lat"),
            "address": d.get("address", ""),
            "share_gps": bool(d.get("share_gps")),
            "reporter_name": d.get("reporter_name", ""),
            "reporter_phone": d.get("reporter_phone", ""),
            "hazard_point": d.get("hazard_point") or "",
        }


# The channels staff enter cases through on /cases/new/ (residents use /report/).
STAFF_SOURCES = (
    Case.Source.DESK,
    Case.Source.HOTLINE,
    Case.Source.PATROL,
    Case.Source.STEWARD,
    Case.Source.SUPERVISION,
)


class StaffReportForm(ReportForm):
    source = forms.ChoiceField(label=_("Channel"))
    title = forms.CharField(label=_("Case title"), required=False, max_length=120)
    on_behalf_of = forms.CharField(label=_("On behalf of"), required=False, max_length=100)
    external_id = forms.CharField(label=_("External number"), required=False, max_length=60)
    accept = forms.BooleanField(label=_("Accept now"), required=False)

    field_order = ["source", "category", "title", "description"]

    def __init__(self, *args: Any, sources: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = sources
        self.fields["reporter_name"].label = _("Reporter name")
        self.fields["reporter_phone"].label = _("Reporter phone")
        self.fields["on_behalf_of"].widget.attrs["placeholder"] = _(
            "Who said it, e.g. a resident in the WeChat group"
        )

    def report_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            **super().report_kwargs(),
            "source": d["source"],
            "title": d.get("title", ""),
            "on_behalf_of": d.get("on_behalf_of", ""),
            "external_id": d.get("external_id", ""),
            "accept": bool(d.get("accept")),
        }


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Case code"), max_length=20)


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=Case.Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose satisfied, basically satisfied or dissatisfied.")},
    )
    note = _text(_("Comment"), required=False, max_length=1000)
    reporter_phone = forms.CharField(
        label=_("The phone number you gave when reporting"),
        max_length=30,
        error_messages={"required": REQUIRED},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


# --- workbench filter --------------------------------------------------------------------------

OPEN = "open"


class FilterForm(forms.Form):
    """GET filters of the workbench; every field optional, bad values are ignored."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    unit = forms.TypedChoiceField(
        label=_("Responsible unit"), coerce=int, required=False, empty_value=None
    )
    source = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All")), *Case.Source.choices]
    )
    light = forms.ChoiceField(
        label=_("Light"),
        required=False,
        choices=[
            ("", _("All")),
            ("red", Case.Light.RED.label),
            ("yellow", Case.Light.YELLOW.label),
            ("green", Case.Light.GREEN.label),
        ],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    since = forms.DateField(label=_("Reported from"), required=False)
    until = forms.DateField(label=_("Reported until"), required=False)

    def __init__(self, *args: Any, user, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("All")),
            (OPEN, _("All open")),
            *Case.Status.choices,
        ]
        cats: list = [("", _("All"))]
        for main, leaves in queries.category_tree():
            cats.append((main.pk, main.name))
            cats.extend((leaf.pk, f"　{leaf.name}") for leaf in leaves)
        self.fields["category"].choices = cats
        self.fields["unit"].choices = [("", _("All"))] + [
            (u.pk, u.name) for u in org_queries.unit_rows(user)
        ]
        for name in ("since", "until"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"})
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("Code or words of the description")}
        )

    def case_filter(self) -> queries.CaseFilter:
        d = self.cleaned_data if self.is_valid() else self._valid_part()
        status = d.get("status") or ""
        return queries.CaseFilter(
            status=[status] if status and status != OPEN else [],
            open_only=status == OPEN,
            category_id=d.get("category"),
            unit_id=d.get("unit"),
            source=d.get("source") or "",
            light=d.get("light") or "",
            overdue=True if d.get("overdue") else None,
            since=d.get("since"),
            until=d.get("until"),
            q=(d.get("q") or "").strip(),
        )

    def _valid_part(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}


class BulkDispatchForm(forms.Form):
    """The workbench's bulk dispatch: the ticked cases and one unit from the user's area."""

    unit = forms.ModelChoiceField(
        label=_("Dispatch the ticked cases to"),
        queryset=Unit.objects.none(),
        error_messages={
            "required": _("Choose the unit that must handle the case."),
            "invalid_choice": _("Choose one of the units in the list."),
        },
    )

    def __init__(self, *args: Any, user, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = org_queries.unit_rows(user)

    def case_ids(self) -> list[int]:
        values = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        return list(dict.fromkeys(int(v) for v in values if str(v).isdigit()))


# --- action forms ------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """One workflow action; :meth:`payload` gives the keyword arguments of its function.

    ``template_field`` names the text area a reply template fills (reply, return visit)."""

    multipart = False
    template_field = ""

    def __init__(self, *args: Any, user, case: Case, **kwargs: Any):
        self.user, self.case = user, case
        super().__init__(*args, **kwargs)

    def payload(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _reason(label=None):
    return _text(label or _("Reason"), max_length=300, message=REASON_REQUIRED)


def _note(label=None, max_length: int = 1000):
    return _text(label or _("Note"), required=False, max_length=max_length)


class AcceptForm(ActionForm):
    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    note = _note()
    public_summary = forms.CharField(
        label=_("Public summary"),
        required=False,
        max_length=200,
        help_text=_(
            "Shown on the tracking page and in the open data feed. Empty: the category and "
            "the community. Do not name residents or give a door number."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        blank = _("Keep the category") if self.case.category_id else _("Choose…")
        choices, self.categories = category_choices(blank)
        self.fields["category"].choices = choices
        if self.case.category_id is None:
            self.fields["category"].required = True
            self.fields["category"].error_messages["required"] = _(
                "Choose the category before accepting the case."
            )

    def payload(self) -> dict[str, Any]:
        pk = self.cleaned_data.get("category")
        category = self.categories.get(pk) if pk else None
        if category is not None and category.pk == self.case.category_id:
            category = None
        return {
            "category": category,
            "note": self.cleaned_data.get("note", ""),
            "public_summary": self.cleaned_data.get("public_summary", ""),
        }


class ReasonForm(ActionForm):
    reason = _reason()


class MergeForm(ActionForm):
    master = forms.CharField(
        label=_("Code of the case it repeats"),
        max_length=20,
        error_messages={"required": _("Name the case to merge into.")},
    )
    note = _note()

    def payload(self) -> dict[str, Any]:
        from cityloop.core.errors import NotFound

        code = self.cleaned_data["master"].strip().upper()
        master_id = (
            queries.visible_cases(self.user).filter(code=code).values_list("pk", flat=True).first()
        )
        if master_id is None:
            raise NotFound("case_not_found", _("Case not found"))
        return {"master_id": master_id, "note": self.cleaned_data.get("note", "")}


class DispatchForm(ActionForm):
    unit = forms.ModelChoiceField(
        label=_("Responsible unit"),
        queryset=Unit.objects.none(),
        error_messages={
            "required": _("Choose the unit that must handle the case."),
            "invalid_choice": _("Choose one of the units in the list."),
        },
    )
    assisting = forms.ModelMultipleChoiceField(
        label=_("Assisting units"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    handler = forms.ModelChoiceField(
        label=_("Handler (optional)"), queryset=Person.objects.none(), required=False
    )
    note = _note(_("Instructions"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        case = self.case
        self.default_unit = routing.default_unit(case.category, case.place, case.level)
        visible = org_queries.unit_rows(self.user).values("pk")
        q = Q(pk__in=visible)
        if self.default_unit is not None:
            q |= Q(pk=self.default_unit.pk)  # the routed unit, even outside the desk's tree
        units = Unit.objects.filter(q).order_by("path")
        self.fields["unit"].queryset = units
        self.fields["assisting"].queryset = units
        self.fields["unit"].initial = self.default_unit.pk if self.default_unit else None
        people = org_queries.people_rows(self.user)
        if self.default_unit is not None:
            people = people.filter(unit__path__startswith=self.default_unit.path)
        else:
            people = people.none()
        self.fields["handler"].queryset = people

    def payload(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "unit": d["unit"],
            "assisting": list(d.get("assisting") or []),
            "handler": d.get("handler"),
            "note": d.get("note", ""),
        }


class NoteForm(ActionForm):
    note = _note()


class ReplyForm(ActionForm):
    multipart = True
    template_field = "result"
    result = _text(_("What was done"), max_length=2000, rows=4, message=_("Say what was done."))
    photos = PhotoField(label=_("After photos"))

    def payload(self) -> dict[str, Any]:
        return {"result": self.cleaned_data["result"]}


YES_NO = [("1", _("Yes")), ("0", _("No"))]


def _yes(value: str) -> bool:
    return value == "1"


class VerifyForm(ActionForm):
    multipart = True
    passed = forms.TypedChoiceField(
        label=_("Is the problem solved?"),
        choices=[("1", _("Passed: close the case")), ("0", _("Not passed: back to the unit"))],
        coerce=_yes,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the work passed.")},
    )
    note = _note()
    photos = PhotoField(label=_("Photos"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("passed") is False and not (data.get("note") or "").strip():
            self.add_error("note", _("Say what is still wrong."))
        return data

    def payload(self) -> dict[str, Any]:
        return {"passed": self.cleaned_data["passed"], "note": self.cleaned_data.get("note", "")}


CHANNELS = [
    ("phone", _("Phone")),
    ("visit", _("Visit")),
    ("sms", _("SMS")),
    ("wechat", _("WeChat")),
]


class ReturnVisitForm(ActionForm):
    template_field = "note"

    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"),
        choices=Case.Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose satisfied, basically satisfied or dissatisfied.")},
    )
    channel = forms.ChoiceField(label=_("How"), choices=CHANNELS, initial="phone")
    note = _note()


class RequestForm(ActionForm):
    kind = forms.ChoiceField(
        label=_("Ask to"),
        choices=[("extend", _("Extend the deadline")), ("suspend", _("Suspend the case"))],
        widget=forms.RadioSelect,
        initial="extend",
    )
    days = forms.FloatField(
        label=_("Working days (for an extension)"),
        required=False,
        min_value=MIN_EXTENSION_DAYS,
        max_value=MAX_EXTENSION_DAYS,
    )
    reason = _reason()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == "extend" and not data.get("days") and "days" not in self.errors:
            self.add_error("days", EXTENSION_DAYS_MESSAGE)
        return data

    def payload(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"kind": d["kind"], "reason": d["reason"], "days": d.get("days") or 0}


class DecideForm(ActionForm):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve")), ("0", _("Refuse"))],
        coerce=_yes,
        widget=forms.RadioSelect,
        error_messages={"required": _("Approve or deny the request.")},
    )
    note = _note()


class ExtendForm(ActionForm):
    days = forms.FloatField(
        label=_("Working days"),
        min_value=MIN_EXTENSION_DAYS,
        max_value=MAX_EXTENSION_DAYS,
        error_messages={"required": EXTENSION_DAYS_MESSAGE},
    )
    reason = _reason()


class CommentForm(ActionForm):
    multipart = True
    note = _text(_("Note"), max_length=2000, message=_("Write the note."))
    photos = PhotoField(label=_("Photos"))
    public = forms.BooleanField(label=_("Show on the public tracking page"), required=False)

    def payload(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"note": d["note"], "public": bool(d.get("public"))}


# --- reply templates ---------------------------------------------------------------------------


def template_category_choices() -> list[tuple[Any, Any]]:
    """Any category, each main category, and its sub-categories under it."""
    choices: list[tuple[Any, Any]] = [("", _("Any category"))]
    for main, leaves in queries.category_tree():
        choices.append((main.pk, main.name))
        choices.extend((leaf.pk, f"{main.name} › {leaf.name}") for leaf in leaves)
    return choices


class ReplyTemplateForm(forms.Form):
    """The shape of a template; :func:`~cityloop.cases.services.reply_template_save` has the
    last word (what is missing or taken, whose unit it is)."""

    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose one of the units in the list.")},
    )
    used_for = forms.ChoiceField(
        label=_("Used for"),
        choices=[
            ("reply", _("Reply")),
            ("return_visit", _("Return visit")),
        ],
        initial="reply",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Say whether the template is for replies or for return visits.")
        },
    )
    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    title = forms.CharField(
        label=_("Heading"),
        max_length=80,
        error_messages={"required": _("Give the template a heading.")},
    )
    text = forms.CharField(
        label=_("Text"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write the text of the template.")},
        help_text=_("{编号} {地点} {类别} are replaced with the case's code, place and category."),
    )
    sort = forms.IntegerField(label=_("Order"), required=False, min_value=0, max_value=999)

    def __init__(self, *args: Any, user, **kwargs: Any):
        super().__init__(*args, **kwargs)
        units = queries.reply_template_units(user)
        self.fields["unit"].queryset = units
        if "unit" not in self.initial:
            first = units.first()
            self.initial["unit"] = first.pk if first else None
        self.fields["category"].choices = template_category_choices()

    def save_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        pk = d.get("category")
        return {
            "unit": d.get("unit"),
            "used_for": d["used_for"],
            "category": Category.objects.filter(pk=pk).first() if pk else None,
            "title": d["title"],
            "text": d["text"],
            "sort": d.get("sort") or 0,
        }


# One page form per input shape of :mod:`cases.actions`.
INPUT_FORMS: dict[str, type[ActionForm]] = {
    "accept": AcceptForm,
    "reason": ReasonForm,
    "merge": MergeForm,
    "dispatch": DispatchForm,
    "note": NoteForm,
    "reply": ReplyForm,
    "verify": VerifyForm,
    "return_visit": ReturnVisitForm,
    "request": RequestForm,
    "decide": DecideForm,
    "extend": ExtendForm,
    "comment": CommentForm,
}


def form_for(action: str) -> type[ActionForm] | None:
    """The page form of a registered action (``None``: no such action)."""
    entry = actions.get(action)
    return INPUT_FORMS[entry.input] if entry else None
