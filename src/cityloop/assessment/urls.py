"""Assessment pages under ``/assessment/`` (namespace ``assessment``)."""

from django.urls import path

from cityloop.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("new/", views.scheme_new, name="scheme_new"),
    path("schemes/<str:code>/revise/", views.scheme_revise, name="scheme_revise"),
    path(
        "schemes/<str:code>/<int:version>/activate/",
        views.scheme_activate,
        name="scheme_activate",
    ),
    path("scores/<int:score_id>/", views.score, name="score"),
    path("<str:code>/<str:key>/", views.ranking, name="ranking"),
]
