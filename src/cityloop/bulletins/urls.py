"""Bulletin pages under ``/bulletins/`` (namespace ``bulletins``)."""

from django.urls import path

from cityloop.bulletins import views

app_name = "bulletins"
urlpatterns = [
    path("", views.index, name="index"),
    path("issues/<int:issue_id>/", views.issue, name="issue"),
    path("issues/<int:issue_id>/file.<slug:ext>", views.issue_file, name="issue_file"),
    path("submissions/<int:submission_id>/", views.submission, name="submission"),
    path("notice/", views.notice_file, name="notice"),
    path("register/", views.register, name="register"),
    path("letterhead/", views.letterhead, name="letterhead"),
    path(
        "letterhead/<int:unit_id>/template.docx",
        views.letterhead_template,
        name="letterhead_template",
    ),
    path(
        "letterhead/<int:unit_id>/sample.<slug:ext>",
        views.letterhead_preview,
        name="letterhead_preview",
    ),
]
