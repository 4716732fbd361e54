"""The staff bot's member factory, for the CLI tests too; statement counting, as the API tests count."""
from tests.api.conftest import count_queries
from tests.bot.staff.conftest import make_staff

__all__ = ["count_queries", "make_staff"]
