"""Open311 GeoReport v2 under ``/open311/``: ``discovery.{fmt}`` and ``v2/…``.

Every address ends in ``.{fmt}``; a format other than json/xml, and any address not listed,
is answered with the spec's error list (JSON) rather than an HTML page.
"""

from django.urls import re_path

from cityloop.open311 import views

app_name = "open311"
FMT = r"\.(?P<fmt>[^/.]+)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^v2/services" + FMT, views.services_list, name="services"),
    re_path(r"^v2/services/(?P<code>[^/]+)" + FMT, views.service_definition, name="service"),
    re_path(r"^v2/requests" + FMT, views.requests, name="requests"),
    # "request/" (singular) is how the Open311 Swagger description spells it.
    re_path(r"^v2/requests?/(?P<request_id>[^/]+)" + FMT, views.request_detail, name="request"),
    re_path(r"^v2/tokens/(?P<token>[^/]+)" + FMT, views.token, name="token"),
    re_path(r"^v2/servicerequestupdates" + FMT, views.service_request_updates, name="updates"),
    re_path(r"", views.not_found, name="not-found"),
]
