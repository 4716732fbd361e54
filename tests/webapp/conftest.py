"""The Mini App's tests share the API tests' seeded demo catalog."""
from tests.api.conftest import seeded  # noqa: F401 - a fixture, used by name
