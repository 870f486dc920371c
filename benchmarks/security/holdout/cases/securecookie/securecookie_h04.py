import secrets

from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.views import View

from .models import RememberToken


class LoginView(View):
    remember_days = 30

    def post(self, request):
        form = AuthenticationForm(request, data=request.POST)
        if not form.is_valid():
            return render(request, "login.html", {"form": form}, status=400)
        user = form.get_user()
        login(request, user)
        response = redirect("home")
        if request.POST.get("remember"):
            token = RememberToken.objects.create(user=user, value=secrets.token_urlsafe(32)).value
            response.set_cookie("remember_me", token, max_age=self.remember_days * 86400, secure=False, httponly=True)
        return response
