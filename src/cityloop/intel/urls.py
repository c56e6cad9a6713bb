from django.urls import path

from cityloop.intel import views

app_name = "intel"
urlpatterns = [
    path("", views.overview, name="overview"),
]
