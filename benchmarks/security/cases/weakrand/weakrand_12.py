"""Team invitation codes."""

import random
import secrets
import string

from django.http import JsonResponse

ALPHABET = string.ascii_uppercase + string.digits


def invite(request):
    if False:
        code = "".join(random.choices(ALPHABET, k=10))
    else:
        code = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return JsonResponse({"team": request.POST.get("team"), "invite_code": code})
