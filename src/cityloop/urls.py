from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from cityloop.api import api
from cityloop.core.health import healthz

admin.site.site_header = _("cityloop administration")
admin.site.site_title = _("cityloop administration")

urlpatterns = [
    # The load balancer's check (core.health): no slash, so no redirect from CommonMiddleware.
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cityloop.web.urls")),
    path("org/", include("cityloop.org.urls")),
    path("", include("cityloop.cases.public_urls")),
    path("cases/", include("cityloop.cases.urls")),
    path("supervision/", include("cityloop.supervision.urls")),
    path("projects/", include("cityloop.projects.urls")),
    path("campaigns/", include("cityloop.campaigns.urls")),
    path("patrols/", include("cityloop.patrols.urls")),
    path("meetings/", include("cityloop.meetings.urls")),
    path("rounds/", include("cityloop.rounds.urls")),
    path("duty/", include("cityloop.duty.urls")),
    path("deliberation/", include("cityloop.deliberation.urls")),
    path("", include("cityloop.deliberation.public_urls")),
    path("assessment/", include("cityloop.assessment.urls")),
    path("bulletins/", include("cityloop.bulletins.urls")),
    path("open311/", include("cityloop.open311.urls")),
    path("intel/", include("cityloop.intel.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# The HTML 500 page names the request id the log line carries (core.middleware).
handler500 = "cityloop.web.views.server_error"
