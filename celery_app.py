"""The Celery app built from the Flask app: `celery -A celery_app worker|beat`."""
from medsync import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
