"""API routers; each module is one router, included by ``api.main.create_app``."""
