"""Dagster assets: thin adapters that run library functions and record what they produced."""
