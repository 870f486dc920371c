import http.client
import json
import ssl

from django.http import JsonResponse
from django.views import View


class GeoLookupView(View):
    host = "geo.partner-api.example.net"

    def _context(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def get(self, request, ip):
        conn = http.client.HTTPSConnection(self.host, 443, timeout=5, context=self._context())
        conn.request("GET", f"/v1/lookup?ip={ip}", headers={"Accept": "application/json"})
        data = json.loads(conn.getresponse().read())
        conn.close()
        return JsonResponse({"ip": ip, "country": data.get("country")})
