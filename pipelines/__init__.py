"""Dagster definitions for reviewlab: resources, jobs and (later) schedules and sensors."""
