"""gunicorn's settings for the web process, in one place: the Procfile, the Dockerfile and `make bench`
all start `gunicorn -c gunicorn.conf.py wsgi:app` (the bind address comes from the command line).
What each choice bought on 2 cores is measured by `python -m bench.ceiling` (bench/README.md)."""
import sys

wsgi_app = "wsgi:app"
worker_class = "gthread"
workers = 2
threads = 4
accesslog = "-"
# Seconds a thread may hold the GIL while others wait for it (CPython's default: 0.005); None keeps it.
gil_switch_interval = None


def post_fork(server, worker):
    if gil_switch_interval is not None:
        sys.setswitchinterval(gil_switch_interval)
