FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY medsync ./medsync
COPY workers ./workers
# Editable, so the package runs from /app beside migrations/ (Flask-Migrate finds them next to medsync/).
RUN pip install --no-cache-dir -e . && pybabel -q compile -d medsync/translations
COPY wsgi.py celery_app.py ./
COPY migrations ./migrations
# gunicorn's processes add up their figures for /metrics here (emptied when gunicorn starts; README, Operations).
ENV PROMETHEUS_MULTIPROC_DIR=/app/var/metrics
RUN useradd --create-home medsync && mkdir -p /app/var/results /app/var/metrics && chown -R medsync /app/var
USER medsync
EXPOSE 8000
COPY gunicorn.conf.py ./
CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "wsgi:app"]
