from django.urls import path

from cityloop.org import views

app_name = "org"
urlpatterns = [
    path("", views.browser, name="browser"),
    path("places/<int:place_id>/", views.browser, name="place"),
    path("places/<int:place_id>/children/", views.tree_children, name="tree_children"),
    path("units/", views.units, name="units"),
    path("units/<int:unit_id>/", views.unit, name="unit"),
    path("zones/", views.zones, name="zones"),
    path("zones/<int:zone_id>/", views.zone, name="zone"),
    path("people/", views.people, name="people"),
    path("people/<int:person_id>/", views.person, name="person"),
]
