"""Campaign pages under ``/campaigns/`` (namespace ``campaigns``)."""

from django.urls import path

from cityloop.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("new/", views.create, name="create"),
    path("<int:campaign_id>/", views.detail, name="detail"),
    path("<int:campaign_id>/edit/", views.edit, name="edit"),
    path("<int:campaign_id>/sessions/", views.record_session, name="record_session"),
    path(
        "sessions/<int:session_id>/photos/<int:index>/", views.session_photo, name="session_photo"
    ),
]
