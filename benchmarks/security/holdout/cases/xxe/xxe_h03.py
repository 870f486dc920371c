import xml.etree.ElementTree as ET

from django.http import JsonResponse
from django.views.decorators.http import require_POST


@require_POST
def sitemap_stats(request):
    upload = request.FILES["sitemap"]
    tree = ET.parse(upload)
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [loc.text for loc in tree.getroot().findall("sm:url/sm:loc", ns)]
    return JsonResponse({"count": len(urls), "first": urls[:5]})
