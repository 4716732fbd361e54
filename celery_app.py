"""The Celery app built from the Flask app: `celery -A celery_app worker|beat`."""
from medsync import create_app
from medsync.config import load_dotenv

load_dotenv()  # .env, read as every `flask` command reads it, before create_app() reads the settings
# After .env is read: prometheus_client decides on multiprocess mode (PROMETHEUS_MULTIPROC_DIR) when first imported.
from workers.metrics_server import serve_worker_metrics  # noqa: E402

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
serve_worker_metrics(flask_app)
