"""Project pages under ``/projects/`` (namespace ``projects``)."""

from django.urls import path

from cityloop.projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_new, name="new"),
    path("<int:project_id>/", views.project_detail, name="detail"),
    path("<int:project_id>/edit/", views.project_edit, name="edit"),
    path("<int:project_id>/<slug:action>/", views.project_action, name="action"),
    path("reports/<int:report_id>/photos/<int:index>/", views.report_photo, name="report_photo"),
]
