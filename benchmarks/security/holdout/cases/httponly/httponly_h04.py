from django.contrib.auth.decorators import login_required
from django.http import JsonResponse

from .models import Workspace

SIGNED_COOKIE_KWARGS = {"salt": "workspace", "max_age": 86400, "secure": True, "httponly": True, "samesite": "Lax"}


@login_required
def select_workspace(request, slug):
    workspace = Workspace.objects.get(slug=slug, members=request.user)
    response = JsonResponse({"workspace": workspace.slug})
    response.set_signed_cookie("workspace_id", str(workspace.pk), **SIGNED_COOKIE_KWARGS)
    return response
