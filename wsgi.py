"""WSGI entry point: `gunicorn wsgi:app`."""
from medsync import create_app

app = create_app()
