"""Round pages under ``/rounds/`` (namespace ``rounds``)."""

from django.urls import path

from cityloop.rounds import views

app_name = "rounds"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/demands/", views.add_demand, name="add_demand"),
    path("<str:code>/handle/", views.handle, name="handle"),
    path("<str:code>/demands.xlsx", views.export, name="export"),
]
