"""Supervision pages under ``/supervision/`` (namespace ``supervision``)."""

from django.urls import path

from cityloop.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.board, name="board"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/plan/", views.task_plan, name="task_plan"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:task_id>/<slug:action>/", views.task_action, name="task_action"),
    path("ledger/", views.ledger, name="ledger"),
    path(
        "rectifications/<int:rect_id>/<slug:action>/",
        views.rectification_action,
        name="rectification_action",
    ),
    path("escalations/<int:escalation_id>/", views.escalation_decide, name="escalation"),
    path("inspections/", views.inspections, name="inspections"),
    path("inspections/<int:inspection_id>/", views.inspection_detail, name="inspection"),
    path(
        "findings/<int:finding_id>/photos/<int:index>/",
        views.finding_photo,
        name="finding_photo",
    ),
    path("letters/", views.letters, name="letters"),
    path("letters/<int:letter_id>/", views.letter_detail, name="letter"),
    path("letters/<int:letter_id>/file.<slug:ext>", views.letter_file, name="letter_file"),
]
