from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "cityloop.bulletins"
    label = "bulletins"
    verbose_name = _("Bulletins and notices")

    def ready(self) -> None:
        # Generated items (case figures, board, rankings, submissions) and the assessment
        # indicator "bulletin items submitted" register themselves.
        from cityloop.bulletins import (
            actions,  # noqa: F401  the registries
            generators,  # noqa: F401
            services,
        )
        from cityloop.core import documents

        # The 发文登记 keeps the fingerprint of every issued file (letters, minutes …).
        documents.register_issued(services.fingerprint)

        from cityloop.bulletins import queries as bulletin_queries

        # Every issued kind takes its header, lists and template from the letterhead page.
        documents.register_letterheads(
            frame=bulletin_queries.frame_of,
            template=bulletin_queries.letterhead_template,
            abbreviation=bulletin_queries.letterhead_abbreviation,
        )

        from cityloop.assessment import queries as assessment_queries
        from cityloop.bulletins import queries

        # Scores count submitted items: their links open only for readers of the submission.
        assessment_queries.register_openable("submission", queries.visible_submissions)
