from tests.projects.conftest import make_project  # noqa: F401
from tests.supervision.conftest import _fast_hasher, crew, on_day  # noqa: F401
