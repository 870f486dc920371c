"""Team invitation codes."""

import random
import string

from django.http import JsonResponse


def invite(request):
    code = "".join(random.choices(string.ascii_uppercase + string.digits, k=10))
    return JsonResponse({"team": request.POST.get("team"), "invite_code": code})
