from tests.supervision.conftest import _fast_hasher, on_day  # noqa: F401
