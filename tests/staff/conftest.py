"""The staff bot's member factory, for the CLI tests too."""
from tests.bot.staff.conftest import make_staff

__all__ = ["make_staff"]
