"""Analyses as queued jobs: persisted progress events, in-process and Celery workers, cancel, dead-worker recovery.

The modules, from the bottom up: ``spec`` (what may be asked for), ``models`` (the event and artifact
tables), ``events`` (numbered events and the notifiers that wake their listeners), ``service`` (submit,
read, cancel, reap), ``runner`` (one worker's run of one analysis), ``inprocess`` and ``celery_app`` (the
two queues) and ``cli`` (``reviewlab worker`` and the factories the API uses). This package imports
nothing at import time so ``reviewlab.store.models`` can register its tables.
"""
