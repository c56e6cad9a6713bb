"""Roster pages under ``/duty/`` (namespace ``duty``)."""

from django.urls import path

from cityloop.duty import views

app_name = "duty"
urlpatterns = [
    path("", views.index, name="index"),
    path("shifts/<int:shift_id>/", views.shift, name="shift"),
    path("shifts/<int:shift_id>/assign/", views.assign, name="assign"),
    path("shifts/<int:shift_id>/swap/", views.swap, name="swap"),
    path("shifts/<int:shift_id>/handover/", views.handover, name="handover"),
    path("swaps/<int:swap_id>/decide/", views.decide, name="decide"),
    path("flood/", views.flood, name="flood"),
    path("flood/<int:plan_id>/", views.flood_plan, name="flood_plan"),
    path("flood/checks/<int:check_id>/", views.flood_check, name="flood_check"),
    path("hazards/<str:code>/", views.hazard, name="hazard"),
    path("hazards/<str:code>/alarm/", views.hazard_alarm, name="hazard_alarm"),
    path("<str:code>/", views.roster, name="roster"),
    path("<str:code>/shifts/", views.plan, name="plan"),
    path("<str:code>/import/", views.import_file, name="import"),
]
