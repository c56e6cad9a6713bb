"""Public pages of the case loop (no account): report, tracking, and case photos.

Mounted at the site root, so the addresses are ``/report/``, ``/track/<code>/`` and
``/cases/photos/<id>/``; the names carry a ``case-`` prefix (``case-photo`` is also what the
API uses for photo links).
"""

from django.urls import path

from cityloop.cases import views

urlpatterns = [
    path("report/", views.report, name="case-report"),
    path("report/duplicates/", views.report_duplicates, name="case-report-duplicates"),
    path("report/area/", views.report_area, name="case-report-area"),
    path("track/", views.track, name="case-track"),
    path("track/<str:code>/", views.track_case, name="case-track-code"),
    path("cases/photos/<int:photo_id>/", views.photo, name="case-photo"),
]
