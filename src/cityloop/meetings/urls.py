"""Meeting pages under ``/meetings/`` (namespace ``meetings``)."""

from django.urls import path

from cityloop.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/sign-in/", views.sign_in, name="sign_in"),
    path("<str:code>/minutes/", views.minutes, name="minutes"),
    path("<str:code>/decisions/", views.decide, name="decide"),
    path("<str:code>/issue/", views.issue, name="issue"),
    path("<str:code>/minutes.<str:ext>", views.minutes_file, name="minutes_file"),
]
