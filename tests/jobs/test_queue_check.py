"""Readiness of the analysis queues: the Celery broker answers (or not); the in-process pool runs (or not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewlab.jobs.celery_app import CeleryQueue
from reviewlab.jobs.errors import QueueUnavailable
from reviewlab.settings import Settings
from tests.ai.servers import refused_url


@pytest.mark.integration
def test_celery_queue_is_ready_when_its_broker_answers(redis_url: str, tmp_path: Path) -> None:
    queue = CeleryQueue.from_settings(Settings(reviewlab_home=tmp_path, redis_url=redis_url))
    try:
        queue.check()
    finally:
        queue.close()


def test_celery_queue_is_unavailable_when_its_broker_is_down(tmp_path: Path) -> None:
    down = refused_url().replace("http://", "redis://") + "/0"
    queue = CeleryQueue.from_settings(Settings(reviewlab_home=tmp_path, redis_url=down))
    try:
        with pytest.raises(QueueUnavailable, match="broker"):
            queue.check()
    finally:
        queue.close()
