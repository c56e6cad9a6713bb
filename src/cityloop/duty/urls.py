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
    path("<str:code>/", views.roster, name="roster"),
    path("<str:code>/shifts/", views.plan, name="plan"),
    path("<str:code>/import/", views.import_file, name="import"),
]
