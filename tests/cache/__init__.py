"""Tests of the caches (reviewlab.cache): the in-process and Redis backends, the two tiers, Redis outage."""
