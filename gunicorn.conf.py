"""gunicorn's settings for the web process, in one place: the Procfile and `make bench` both start
`gunicorn -c gunicorn.conf.py wsgi:app` (the bind address comes from the command line)."""

wsgi_app = "wsgi:app"
worker_class = "gthread"
workers = 2
threads = 4
accesslog = "-"
