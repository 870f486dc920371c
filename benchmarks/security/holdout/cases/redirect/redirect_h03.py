from django.http import HttpResponseRedirect
from django.views import View


class LanguageSwitchView(View):
    fallback = "/"

    def post(self, request):
        lang = request.POST.get("language", "en")
        target = request.POST.get("next", self.fallback)
        if not target.startswith("/"):
            target = self.fallback
        response = HttpResponseRedirect(target)
        response.set_cookie("lang", lang[:5], secure=True, httponly=True, samesite="Lax")
        return response
