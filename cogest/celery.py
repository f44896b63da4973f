"""The Celery application: broker from settings (Redis, or the filesystem for a newcomer)."""

import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cogest.settings")

app = Celery("cogest")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _task_request_id(task_id=None, **_kwargs):
    """Each job runs under its task id as request id, so its audit events can be traced."""
    from cogest.context import request_id_var

    request_id_var.set(f"task:{task_id}" if task_id else "")
