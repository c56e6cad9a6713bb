"""Staff pages of deliberation under ``/deliberation/`` (namespace ``deliberation``)."""

from django.urls import path

from cityloop.deliberation import views

app_name = "deliberation"
urlpatterns = [
    path("", views.topic_list, name="list"),
    path("topics/<int:topic_id>/", views.topic_detail, name="topic"),
    path(
        "topics/<int:topic_id>/documents/<slug:kind>/",
        views.topic_document,
        name="document",
    ),
    path("topics/<int:topic_id>/<slug:action>/", views.topic_action, name="action"),
    path("households/template/", views.households_template, name="households-template"),
    path("households/<int:place_id>/", views.households, name="households"),
    path(
        "households/<int:place_id>/progress/",
        views.households_progress,
        name="households-progress",
    ),
    path(
        "households/<int:place_id>/owners/<int:owner_id>/phone/",
        views.phone_show,
        name="phone-show",
    ),
    path("charter/", views.coverage, name="coverage"),
    path("charter/<int:place_id>/", views.charter, name="charter"),
]
