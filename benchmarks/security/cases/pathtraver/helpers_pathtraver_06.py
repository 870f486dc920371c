"""Where each tenant's exports live."""

import os

EXPORT_ROOT = "/srv/exports"


def export_path(tenant, export_name):
    return os.path.join(EXPORT_ROOT, tenant, export_name + ".csv")
