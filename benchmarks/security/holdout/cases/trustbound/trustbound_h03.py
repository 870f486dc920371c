from django.http import JsonResponse
from django.views.decorators.http import require_POST

ALLOWED_THEMES = ("light", "dark", "high-contrast")


@require_POST
def set_theme(request):
    theme = request.POST.get("theme", "light")
    if theme not in ALLOWED_THEMES:
        theme = "light"
    request.session["theme"] = theme
    return JsonResponse({"theme": theme})
