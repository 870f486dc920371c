from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.views import View

from .models import Invoice


class TenantSelectView(LoginRequiredMixin, View):
    def post(self, request):
        tenant = request.headers.get("X-Tenant-Id") or request.POST.get("tenant_id")
        request.session["tenant_id"] = tenant
        return JsonResponse({"tenant": tenant})


class InvoiceListView(LoginRequiredMixin, View):
    def get(self, request):
        tenant = request.session.get("tenant_id")
        invoices = Invoice.objects.filter(tenant_id=tenant).values("id", "number", "amount")
        return JsonResponse({"invoices": list(invoices)})
