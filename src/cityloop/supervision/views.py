"""Supervision pages under ``/supervision/``: the red/yellow/blue board, a task with its light
and reasons, the rectification ledger with escalations, inspections and urging letters.

Thin, as everywhere: forms parse, the workflow changes state, queries read through the
user's scope (outside it: 404). A refused step is shown as its message and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from cityloop.core import clock, exports
from cityloop.core import documents as core_documents
from cityloop.core.downloads import attachment, stored_image
from cityloop.core.errors import DomainError, NotFound
from cityloop.core.photos import read_files, store_photos
from cityloop.core.steps import attempt, found, save_edit
from cityloop.org import queries as org_queries
from cityloop.org.models import Person
from cityloop.supervision import forms, queries, rules, services, workflow
from cityloop.supervision.actions import TASKS
from cityloop.supervision.labels import VOCABULARY
from cityloop.supervision.lights import past_due
from cityloop.supervision.models import Colour, LetterSeries, TaskCategory, TaskKind

COLOUR_ORDER = {Colour.RED: 0, Colour.YELLOW: 1, Colour.BLUE: 2}


TASK_COLUMNS = (
    exports.Column(_lazy("Task code"), 16),
    exports.Column(_lazy("Task"), 36),
    exports.Column(_lazy("Light"), 8),
    exports.Column(_lazy("Category"), 14),
    exports.Column(_lazy("Responsible unit"), 20),
    exports.Column(_lazy("Leader in charge"), 10),
    exports.Column(_lazy("Deadline"), 12),
    exports.Column(_lazy("Progress (%)"), 10),
    exports.Column(_lazy("Why"), 50),
)


def _task_line(r: queries.BoardRow) -> list:
    t = r.task
    return [
        t.code,
        t.title,
        r.colour_label,
        t.category.name if t.category_id else None,
        t.responsible_unit.name,
        t.leader.name if t.leader_id else None,
        t.deadline,
        t.progress,
        "；".join(x["text"] for x in r.reasons),
    ]


LEDGER_COLUMNS = (
    exports.Column(_lazy("Inspection"), 16),
    exports.Column(_lazy("Finding"), 16),
    exports.Column(_lazy("Description"), 40),
    exports.Column(_lazy("Unit"), 20),
    exports.Column(_lazy("Mode"), 10),
    exports.Column(_lazy("Time limit"), 12),
    exports.Column(_lazy("Days overdue"), 10),
    exports.Column(_lazy("Age (days)"), 10),
    exports.Column(_lazy("State"), 12),
    exports.Column(_lazy("Repeats"), 8),
)


def _ledger_line(row: queries.LedgerRow) -> list:
    r = row.rectification
    return [
        r.finding.inspection.code,
        str(r.finding.kind),
        r.finding.description,
        r.unit.name,
        r.get_mode_display(),
        r.due,
        row.overdue_days,
        row.age_days,
        r.get_state_display(),
        r.finding.repeat_count,
    ]


LETTER_COLUMNS = (
    exports.Column(_lazy("Number"), 20),
    exports.Column(_lazy("Addressee"), 20),
    exports.Column(_lazy("Subject"), 36),
    exports.Column(_lazy("Items"), 8),
    exports.Column(_lazy("Answer due"), 12),
    exports.Column(_lazy("State"), 10),
)


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """红黄蓝看板: counts, by unit / category / leader, the sentences, the trend, the tasks."""
    user = request.user
    visible = queries.visible_tasks(user)
    units = org_queries.visible_units(user).filter(tasks__in=visible).distinct().order_by("path")
    leaders = Person.objects.filter(led_tasks__in=visible).distinct().order_by("name")
    form = forms.BoardForm(
        request.GET or None,
        units=units,
        categories=TaskCategory.objects.all(),
        leaders=leaders,
    )
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    as_of = data.get("as_of") or clock.today()
    flt = queries.BoardFilter(
        unit=data.get("unit"),
        category=data.get("category"),
        leader=data.get("leader"),
        year=data.get("year"),
    )
    result = queries.board(user, as_of=as_of, flt=flt)
    colour = data.get("colour") or ""
    rows = queries.select_colour(result.rows, colour)
    rows.sort(key=lambda r: (COLOUR_ORDER.get(r.colour, 3), r.task.deadline, r.task.code))
    if exports.wants_xlsx(request):
        name = _("Key tasks %(day)s") % {"day": f"{as_of:%Y-%m-%d}"}
        return exports.xlsx_response(name, name, TASK_COLUMNS, (_task_line(r) for r in rows))
    trend = queries.light_trend(user, days=30, end=as_of)
    base = request.GET.copy()
    base.pop("colour", None)
    context = {
        "form": form,
        "board": result,
        "rows": rows,
        "colour": colour,
        "lit": [(c, Colour(c).label, result.counts.get(c, 0)) for c in Colour.lit()],
        "done": sum(result.counts.get(c, 0) for c in Colour.done()),
        "base_query": base.urlencode(),
        "trend": trend,
        "summaries": [(s["kind"], s) for s in queries.summaries(user, end=as_of)],
        "can_create": rules.sets_tasks(user),
    }
    return render(request, "supervision/board.html", context)


@login_required
def task_new(request: HttpRequest) -> HttpResponse:
    """新建任务, or 分解到多个单位 under a parent: the API's ``services.create_task``."""
    user = request.user
    if not rules.sets_tasks(user):
        raise PermissionDenied
    units = org_queries.visible_units(user).order_by("path")
    form = forms.TaskForm(
        request.POST or None,
        kinds=TaskKind.objects.order_by("code"),
        categories=TaskCategory.objects.all(),
        units=units,
        people=org_queries.visible_people(user).select_related("unit").order_by("name"),
        tasks=queries.visible_tasks(user).filter(state="active").order_by("code"),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            split = form.split_codes()
            try:
                if split:
                    tasks = services.split_task(actor=user, data=form.task_input(), units=split)
                else:
                    tasks = [services.create_task(actor=user, data=form.task_input())]
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                if split:
                    messages.success(
                        request,
                        _("Task split to %(n)d units.") % {"n": len(tasks)},
                    )
                    target = tasks[0].parent_id
                else:
                    messages.success(request, _("Task created."))
                    target = tasks[0].pk
                return HttpResponseRedirect(reverse("supervision:task", args=[target]))
    return render(request, "supervision/task_new.html", {"form": form}, status=status)


@login_required
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    """修改任务信息: the task's form pre-filled; the API's ``workflow.update_task``."""
    user = request.user
    task = found(queries.task_get, user, task_id)
    if not rules.edits_task(user, task):
        raise PermissionDenied
    form = forms.TaskEditForm(
        request.POST or None,
        task=task,
        kinds=TaskKind.objects.order_by("code"),
        categories=TaskCategory.objects.all(),
        units=org_queries.visible_units(user).order_by("path"),
        people=org_queries.visible_people(user).select_related("unit").order_by("name"),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            done = save_edit(
                request,
                form,
                lambda: workflow.update_task(
                    actor=user,
                    task_id=task.pk,
                    data=form.changes(),
                    note=form.cleaned_data["note"],
                ),
                saved=_("Task details saved."),
                then=reverse("supervision:task", args=[task.pk]),
            )
            if done:
                return done
    return render(
        request, "supervision/task_edit.html", {"form": form, "task": task}, status=status
    )


def _task_page(
    request: HttpRequest, task, plan_form=None, proposal=None, status: int = 200
) -> HttpResponse:
    user = request.user
    as_of = clock.today()
    colour, reasons = queries.task_light(task, as_of)
    explanation = queries.open_explanation(task)
    history = queries.progress_history(task)
    actions = rules.task_actions(user, task, explanation_open=explanation is not None)
    context = {
        "task": task,
        "colour": colour,
        "colour_label": Colour(colour).label,
        "reasons": reasons,
        "explanation": explanation,
        "explanations": task.explanations.all(),
        "milestones": task.milestones.all(),
        "history": history,
        "chart": {"dates": [h["on"] for h in history], "percent": [h["percent"] for h in history]},
        "timeline": VOCABULARY.timeline(queries.task_events(task)),
        "findings": task.findings.select_related("rectification", "unit"),
        "letters": task.letters.select_related("series"),
        "children": task.children.select_related("responsible_unit"),
        # A community sees its own part of a decomposed task, not always the whole.
        "parent_visible": task.parent_id is not None
        and queries.visible_tasks(user).filter(pk=task.parent_id).exists(),
        "actions": actions,
        # The registry's plain actions (a note or a reason): one generic form each.
        "plain_actions": [TASKS[a] for a in actions if TASKS[a].input in TASKS.generic_inputs],
        "progress_form": forms.ProgressForm(),
        "text_form": forms.TextForm(),
        "done_form": forms.DoneForm(),
        "plan_form": plan_form or forms.PlanForm(),
        "proposal": proposal,
    }
    return render(request, "supervision/task.html", context, status=status)


@login_required
@require_GET
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    return _task_page(request, found(queries.task_get, request.user, task_id))


@login_required
@require_POST
def task_plan(request: HttpRequest, task_id: int) -> HttpResponse:
    """编排节点计划: 推算日期 shows the backward schedule; 保存计划 calls ``set_milestones``
    with the (edited) dates, or with the steps when no dates were proposed."""
    user = request.user
    task = found(queries.task_get, user, task_id)
    form = forms.PlanForm(request.POST)
    steps = form.steps()
    if form.errors:
        return _task_page(request, task, form, status=400)
    try:
        if request.POST.get("do") == "propose":
            proposal = services.propose_plan(actor=user, task_id=task.pk, steps=steps)
            form.propose(proposal)
            return _task_page(request, task, form, proposal)
        dated = form.dated()
        rows = form.milestones(steps) if dated else []
        if form.errors:
            return _task_page(request, task, form, status=400)
        if dated:
            services.set_milestones(actor=user, task_id=task.pk, milestones=rows)
        else:
            services.set_milestones(actor=user, task_id=task.pk, steps=steps)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        form.errors.append(str(exc.message))
        return _task_page(request, task, form, status=400)
    messages.success(request, _("Plan saved."))
    return HttpResponseRedirect(reverse("supervision:task", args=[task.pk]))


@login_required
@require_POST
def task_action(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    user = request.user
    task = found(queries.task_get, user, task_id)
    here = reverse("supervision:task", args=[task.pk])
    if action == "report":
        form = forms.ProgressForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            attempt(
                request,
                lambda: workflow.report_progress(
                    actor=user,
                    task_id=task.pk,
                    text=d["text"],
                    percent=d["percent"],
                    value=d["value"],
                    on=d["on"],
                ),
                _("Progress reported."),
            )
        else:
            messages.error(
                request,
                _("Check the progress report: %(errors)s")
                % {"errors": "；".join(str(e) for errs in form.errors.values() for e in errs)},
            )
    elif action in ("explain", "cancel"):
        form = forms.TextForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Write the text first."))
        elif action == "explain":
            text = form.cleaned_data["text"]
            attempt(
                request,
                lambda: workflow.explain(actor=user, task_id=task.pk, text=text),
                _("Explanation sent to the leader in charge."),
            )
        else:
            text = form.cleaned_data["text"]
            attempt(
                request,
                lambda: workflow.cancel(actor=user, task_id=task.pk, reason=text),
                _("Task cancelled."),
            )
    elif action == "complete":
        form = forms.DoneForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            attempt(
                request,
                lambda: workflow.complete(
                    actor=user, task_id=task.pk, done_on=d["done_on"], note=d["note"]
                ),
                _("Task marked done."),
            )
    elif action == "milestone_done":
        try:
            milestone_id = int(request.POST.get("milestone", ""))
        except ValueError:
            raise Http404 from None
        attempt(
            request,
            lambda: workflow.complete_milestone(
                actor=user, task_id=task.pk, milestone_id=milestone_id
            ),
            _("Milestone done."),
        )
    elif action in TASKS and TASKS[action].input in TASKS.generic_inputs:
        _plain_task_action(request, task, action)
    else:
        raise Http404
    return HttpResponseRedirect(here)


def _plain_task_action(request: HttpRequest, task, action: str) -> None:
    """An action of the registry whose input is a note or a reason: the generic form."""
    form = forms.TextForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    key = "reason" if TASKS[action].input == "reason" else "note"
    attempt(
        request,
        lambda: workflow.perform_task(
            actor=request.user, task_id=task.pk, action=action, **{key: text}
        ),
        _("%(action)s: done.") % {"action": TASKS.label(action)},
    )


@login_required
@require_GET
def ledger(request: HttpRequest) -> HttpResponse:
    """整改台账 and the escalations waiting for a decision."""
    user = request.user
    rows = queries.ledger(user)
    if exports.wants_xlsx(request):
        name = _("Rectification ledger %(day)s") % {"day": f"{clock.today():%Y-%m-%d}"}
        return exports.xlsx_response(name, name, LEDGER_COLUMNS, map(_ledger_line, rows))
    return render(
        request,
        "supervision/ledger.html",
        {
            "rows": rows,
            "by_unit": queries.ledger_by_unit(rows),
            "escalations": queries.proposed_escalations(user),
            "items": [_ledger_item(user, r) for r in rows],
        },
    )


def _ledger_item(user, row) -> tuple:
    """A ledger row and whether the user may report it and re-inspect it (the registry's
    buttons for the rectification's state)."""
    allowed = rules.rectification_actions(user, row.rectification)
    return row, "report" in allowed, "reinspect" in allowed


@login_required
@require_POST
def rectification_action(request: HttpRequest, rect_id: int, action: str) -> HttpResponse:
    user = request.user
    here = reverse("supervision:ledger")
    if action == "report":
        form = forms.TextForm(request.POST)
        if form.is_valid():
            text = form.cleaned_data["text"]
            attempt(
                request,
                lambda: workflow.submit_rectification(
                    actor=user, rectification_id=rect_id, report=text
                ),
                _("Rectification reported; awaiting re-inspection."),
            )
        else:
            messages.error(request, _("Say what was done."))
    elif action == "reinspect":
        form = forms.ReinspectForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            attempt(
                request,
                lambda: workflow.reinspect(
                    actor=user, rectification_id=rect_id, passed=d["passed"], note=d["note"]
                ),
                _("Re-inspection recorded."),
            )
    else:
        raise Http404
    return HttpResponseRedirect(here)


@login_required
@require_POST
def escalation_decide(request: HttpRequest, escalation_id: int) -> HttpResponse:
    confirm = request.POST.get("confirm") == "1"
    attempt(
        request,
        lambda: workflow.decide_escalation(
            actor=request.user,
            escalation_id=escalation_id,
            confirm=confirm,
            note=request.POST.get("note", ""),
        ),
        _("Escalation confirmed.") if confirm else _("Escalation dismissed."),
    )
    return HttpResponseRedirect(reverse("supervision:ledger"))


@login_required
def inspections(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = org_queries.visible_units(user).order_by("path")
    issuing = [u for u in units if rules.can_supervise(user, u)]
    form = forms.InspectionForm(request.POST or None, units=issuing)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            inspection = services.create_inspection(
                actor=user,
                code=d["code"],
                kind=d["kind"],
                on=d["on"],
                subject=d["subject"],
                team=d["team"],
                unit=found(org_queries.unit_get, user, unit_id=d["unit"]),
                summary=d["summary"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Inspection recorded."))
            return HttpResponseRedirect(reverse("supervision:inspection", args=[inspection.pk]))
    return render(
        request,
        "supervision/inspections.html",
        {
            "inspections": queries.visible_inspections(user).select_related("unit")[:200],
            "form": form if issuing else None,
        },
        status=400 if form.errors else 200,
    )


@login_required
def inspection_detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    user = request.user
    inspection = found(queries.inspection_get, user, inspection_id)
    units = org_queries.visible_units(user).order_by("path")
    tasks = queries.visible_tasks(user).filter(state="active").order_by("code")
    form = forms.FindingForm(request.POST or None, request.FILES or None, units=units, tasks=tasks)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            stored = store_photos(read_files(d["photos"] or []))
            workflow.record_finding(
                actor=user,
                inspection_id=inspection.pk,
                kind=d["kind"],
                description=d["description"],
                unit=found(org_queries.unit_get, user, unit_id=d["unit"]),
                mode=d["mode"],
                due=d["due"],
                plan=d["plan"],
                plan_steps=d["plan_steps"],
                severity=d["severity"],
                is_problem=d["is_problem"],
                task=found(queries.task_get, user, d["task"]) if d["task"] else None,
                photos=[p.file for p in stored],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Finding recorded; rectification opened."))
            return HttpResponseRedirect(reverse("supervision:inspection", args=[inspection.pk]))
    return render(
        request,
        "supervision/inspection.html",
        {
            "inspection": inspection,
            "findings": inspection.findings.select_related("unit", "task", "rectification"),
            "form": form if rules.can_supervise(user, inspection.unit) else None,
        },
    )


@login_required
@require_GET
def finding_photo(request: HttpRequest, finding_id: int, index: int) -> HttpResponse:
    """A finding's photo, for whoever sees the finding."""
    finding = queries.visible_findings(request.user).filter(pk=finding_id).first()
    if finding is None or not 0 <= index < len(finding.photos):
        raise Http404
    return stored_image(finding.photos[index])


@login_required
def letters(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "GET" and exports.wants_xlsx(request):
        name = _("Urging letters %(day)s") % {"day": f"{clock.today():%Y-%m-%d}"}
        rows = (
            [
                letter.reference,
                letter.addressee.name,
                letter.subject,
                len(letter.items),
                letter.answer_due,
                letter.get_state_display(),
            ]
            for letter in queries.visible_letters(user)
        )
        return exports.xlsx_response(name, name, LETTER_COLUMNS, rows)
    units = list(org_queries.visible_units(user).order_by("path"))
    issuer_ids = set(LetterSeries.objects.values_list("issuer_id", flat=True))
    issuers = [u for u in units if u.pk in issuer_ids and rules.can_supervise(user, u)]
    form = forms.LetterForm(request.POST or None, issuers=issuers, units=units)
    preview = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            letter = workflow.issue_letter(
                actor=user,
                issuer=found(org_queries.unit_get, user, unit_id=d["issuer"]),
                addressee=found(org_queries.unit_get, user, unit_id=d["addressee"]),
                answer_due=d["answer_due"],
                subject=d["subject"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Letter %(ref)s issued.") % {"ref": letter.reference})
            return HttpResponseRedirect(reverse("supervision:letter", args=[letter.pk]))
    addressee = request.GET.get("preview")
    if addressee and addressee.isdigit():
        unit = found(org_queries.unit_get, user, unit_id=int(addressee))
        preview = (unit, queries.overdue_items(unit))
    return render(
        request,
        "supervision/letters.html",
        {
            "letters": queries.visible_letters(user)[:200],
            "form": form if issuers else None,
            "preview": preview,
            "units": units,
            "today": clock.today(),
        },
    )


@login_required
def letter_detail(request: HttpRequest, letter_id: int) -> HttpResponse:
    user = request.user
    letter = found(queries.letter_get, user, letter_id)
    here = reverse("supervision:letter", args=[letter.pk])
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "receive":
            attempt(
                request,
                lambda: workflow.receive_letter(actor=user, letter_id=letter.pk),
                _("Receipt acknowledged."),
            )
        elif action == "answer":
            text = request.POST.get("text", "")
            attempt(
                request,
                lambda: workflow.answer_letter(actor=user, letter_id=letter.pk, answer=text),
                _("Answer sent."),
            )
        else:
            raise Http404
        return HttpResponseRedirect(here)
    return render(
        request,
        "supervision/letter.html",
        {
            "letter": letter,
            "letter_actions": rules.letter_actions(user, letter),
            "overdue": letter.state != "answered" and past_due(letter.answer_due, clock.today()),
            "timeline": VOCABULARY.timeline(letter.events.all()),
        },
    )


@login_required
@require_GET
def letter_file(request: HttpRequest, letter_id: int, ext: str) -> HttpResponse:
    from cityloop.supervision import documents

    letter = found(queries.letter_get, request.user, letter_id)
    if ext not in ("docx", "pdf"):
        raise Http404
    try:  # the optional 份号, 密级 and 附件 of the download form
        extras = core_documents.marks_from(*core_documents.marks_given(request.GET))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("supervision:letter", letter_id=letter.pk)
    if ext == "docx":
        body, kind = documents.letter_docx(letter, **extras), documents.DOCX_TYPE
    else:
        body, kind = documents.letter_pdf(letter, **extras), "application/pdf"
    core_documents.issued("letter", letter.pk, ext, body)  # into the 发文登记
    return attachment(body, kind, documents.letter_filename(letter, ext))
