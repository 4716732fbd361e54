"""WSGI entry point: `gunicorn wsgi:app`."""
from medsync import create_app
from medsync.config import load_dotenv

load_dotenv()  # .env, read as every `flask` command reads it, before create_app() reads the settings
app = create_app()
