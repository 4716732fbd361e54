"""Extensions, created unbound and init_app'ed in the factory. Nothing here touches the network."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import redis
from celery import Celery, Task
from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, registry

from medsync import log_context

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # Every timestamp is timestamptz: stored in UTC, never naive.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


class RedisClient:
    """The current app's redis-py client (one per app, like db's engine); connects lazily."""

    def init_app(self, app: Flask) -> None:
        app.extensions["redis"] = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )

    @property
    def client(self) -> redis.Redis:
        return current_app.extensions["redis"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


redis_client = RedisClient()


def celery_init_app(app: Flask) -> Celery:
    """The Flask Celery pattern: tasks run inside the app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context(), log_context.scope(task_id=self.request.id or "local"):
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
