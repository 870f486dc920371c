"""Password hasher used by the account views."""

import hashlib
import os

from django.http import JsonResponse


class LegacyHasher:
    def encode(self, password, salt):
        return salt + "$" + hashlib.sha1((salt + password).encode()).hexdigest()


def change_password(request):
    salt = os.urandom(8).hex()
    encoded = LegacyHasher().encode(request.POST["new_password"], salt)
    request.user.password = encoded
    request.user.save()
    return JsonResponse({"changed": True})
