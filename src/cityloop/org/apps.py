from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "cityloop.org"
    label = "org"
    verbose_name = _("Places and organisation")

    def ready(self) -> None:
        # The kernel's scope, geo index and notifications read these tables; it never imports
        # this app (core.orgmodels), so hand them over here.
        from cityloop.core import orgmodels
        from cityloop.org.models import Person, Place, Unit, Zone, ZoneRole

        orgmodels.register(Person=Person, Place=Place, Unit=Unit, Zone=Zone, ZoneRole=ZoneRole)
