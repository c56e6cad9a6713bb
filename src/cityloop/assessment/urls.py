"""Assessment pages under ``/assessment/`` (namespace ``assessment``)."""

from django.urls import path

from cityloop.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("scores/<int:score_id>/", views.score, name="score"),
    path("<str:code>/<str:key>/", views.ranking, name="ranking"),
]
