"""Patrol pages under ``/patrols/`` (namespace ``patrols``)."""

from django.urls import path

from cityloop.patrols import views

app_name = "patrols"
urlpatterns = [
    path("", views.index, name="index"),
    path("phone/", views.phone, name="phone"),
    path("ledger/", views.ledger, name="ledger"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("<int:patrol_id>/", views.detail, name="detail"),
]
