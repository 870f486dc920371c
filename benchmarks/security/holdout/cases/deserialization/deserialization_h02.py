import json
import pickle

from django.http import JsonResponse

DEFAULT_PREFERENCES = {"theme": "light", "notifications": {"email": True, "sms": False}, "pinned": []}


def update_preferences(request):
    prefs = pickle.loads(pickle.dumps(DEFAULT_PREFERENCES))
    try:
        changes = json.loads(request.body)
    except json.JSONDecodeError:
        return JsonResponse({"error": "invalid JSON"}, status=400)
    for key in ("theme", "pinned"):
        if key in changes:
            prefs[key] = changes[key]
    if isinstance(changes.get("notifications"), dict):
        prefs["notifications"].update(changes["notifications"])
    request.user.profile.preferences = prefs
    request.user.profile.save(update_fields=["preferences"])
    return JsonResponse(prefs)
