from django.http import HttpResponse
from django.utils.html import format_html, format_html_join


def profile_card(request):
    display_name = request.GET.get("display_name", "anonymous")
    tags = request.GET.getlist("tag")
    tag_html = format_html_join("", '<span class="tag">{}</span>', ((t,) for t in tags))
    card = format_html('<div class="card"><h3>{}</h3><div>{}</div></div>', display_name, tag_html)
    return HttpResponse(card)
