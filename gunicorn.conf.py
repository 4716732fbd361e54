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


def _settings():
    from medsync.config import load_dotenv, load_settings

    load_dotenv()  # as wsgi.py does; the workers, forked from this process, inherit what it set
    return load_settings()


# LOG_FORMAT=json: gunicorn's own lines are JSON objects too (medsync.logs); plain text keeps gunicorn's defaults.
if _settings().LOG_FORMAT == "json":
    from medsync.logs import gunicorn_logconfig

    logconfig_dict = gunicorn_logconfig(_settings())


def on_starting(server) -> None:
    """Start each run's metrics afresh: empty PROMETHEUS_MULTIPROC_DIR before any worker counts there (figures of an
    earlier run's processes would otherwise be added to this run's)."""
    settings = _settings()
    if settings.PROMETHEUS_MULTIPROC_DIR:
        from medsync.metrics import empty_multiprocess_dir

        empty_multiprocess_dir(settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        server.log.warning("PROMETHEUS_MULTIPROC_DIR is not set: /metrics shows only the figures of the worker "
                           "process that answers it")


def child_exit(server, worker) -> None:
    """prometheus_client's bookkeeping for a worker process that exited."""
    settings = _settings()
    if settings.PROMETHEUS_MULTIPROC_DIR:
        from medsync.metrics import process_ended

        process_ended(worker.pid, settings.PROMETHEUS_MULTIPROC_DIR)
