from tests.assessment.conftest import _fast_hasher, at, play, scheme, zxl  # noqa: F401
