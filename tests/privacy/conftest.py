"""The privacy tests use the bot's, the staff's and the workers' fixtures too."""
from tests.bot.conftest import post_update  # noqa: F401
from tests.bot.staff.conftest import make_staff  # noqa: F401
from tests.workers.conftest import worker  # noqa: F401
