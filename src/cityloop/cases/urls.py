"""Staff pages of the case loop, under ``/cases/`` (namespace ``cases``)."""

from django.urls import path

from cityloop.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("bulk-dispatch/", views.bulk_dispatch, name="bulk_dispatch"),
    path("map/", views.map_page, name="case_map"),
    path("map/data/", views.map_data, name="map_data"),
    path("new/", views.new_case, name="new"),
    path("reply-templates/", views.reply_templates, name="reply_templates"),
    path("reply-templates/<int:template_id>/", views.reply_template_edit, name="reply_template"),
    path(
        "reply-templates/<int:template_id>/retire/",
        views.reply_template_retire,
        name="reply_template_retire",
    ),
    path(
        "reply-templates/<int:template_id>/restore/",
        views.reply_template_restore,
        name="reply_template_restore",
    ),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/actions/<slug:action>/", views.action, name="action"),
]
