"""Tests of the rate limiter library (reviewlab.ratelimit): rules, both backends, Redis outage."""
