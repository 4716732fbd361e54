"""The Celery app built from the Flask app: `celery -A celery_app worker|beat`."""
from medsync import create_app
from medsync.config import load_dotenv

load_dotenv()  # .env, read as every `flask` command reads it, before create_app() reads the settings
flask_app = create_app()
celery_app = flask_app.extensions["celery"]
