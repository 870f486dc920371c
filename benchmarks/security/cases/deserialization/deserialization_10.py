"""Preview a YAML configuration with the safe loader."""

import yaml
from django.http import JsonResponse


def preview_config(request):
    config = yaml.load(request.POST.get("config", ""), Loader=yaml.SafeLoader)
    return JsonResponse({"keys": sorted(config) if isinstance(config, dict) else []})
