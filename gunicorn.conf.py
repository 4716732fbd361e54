"""gunicorn's settings for the web process, in one place: the Procfile, the Dockerfile and `make bench`
all start `gunicorn -c gunicorn.conf.py wsgi:app` (the bind address comes from the command line).
`python -m bench.ceiling` measures the alternatives on /healthz; bench/README.md has the numbers."""

wsgi_app = "wsgi:app"
# Threads overlap what a request waits for (PostgreSQL, the Bot API) and keep connections alive; two
# processes use both cores. More threads or processes measured no better here, and sync workers
# close every connection and stall on any Bot API call made while handling an update.
# gthread (medsync/gunicorn_worker.py): gunicorn's own refusals (414, 431, 400) and crashes answer in the one JSON
# error shape instead of its HTML page.
worker_class = "medsync.gunicorn_worker.JsonErrorsThreadWorker"
workers = 2
threads = 4
# No access log: it cost 7-30 % more CPU per request and a longer tail (bench/README.md). The app logs its own warnings
# and errors; switch it on without editing with GUNICORN_CMD_ARGS="--access-logfile -".
accesslog = None
# No control socket (gunicornc): gunicorn 25+ opens one by default at $XDG_RUNTIME_DIR/gunicorn.ctl, else
# ~/.gunicorn/gunicorn.ctl — one path for every gunicorn of the user, so a second instance on the machine (another
# checkout, a bench) takes it over and the first one's stop removes the second's. Nothing here uses it; the
# processes are managed by signals (honcho, docker). For gunicornc, start one instance with a config of its own.
control_socket_disable = True
