import random
import string

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.http import JsonResponse

from .models import PasswordResetToken

ALPHABET = string.ascii_letters + string.digits


def request_reset(request):
    email = request.POST.get("email", "")
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        token = "".join(random.choice(ALPHABET) for _ in range(24))
        PasswordResetToken.objects.create(user=user, token=token)
        link = request.build_absolute_uri(f"/reset/{token}/")
        send_mail("Reset your password", f"Use this link: {link}", None, [user.email])
    return JsonResponse({"status": "if the address exists, a link was sent"})
