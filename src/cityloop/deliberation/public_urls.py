"""Residents' pages of deliberation (no account), mounted at the site root: ``/topics/`` and
``/topics/<code>/`` with their forms. Names carry a ``topic-`` prefix."""

from django.urls import path

from cityloop.deliberation import views

urlpatterns = [
    path("topics/", views.public_list, name="topic-list"),
    path("topics/<str:code>/", views.public_topic, name="topic-public"),
    path("topics/<str:code>/opinion/", views.public_opinion, name="topic-opinion"),
    path("topics/<str:code>/code/", views.public_code, name="topic-code"),
    path("topics/<str:code>/vote/", views.public_vote, name="topic-vote"),
    path("topics/<str:code>/rate/", views.public_rate, name="topic-rate"),
]
