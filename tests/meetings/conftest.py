from tests.supervision.conftest import _fast_hasher, crew, on_day  # noqa: F401
