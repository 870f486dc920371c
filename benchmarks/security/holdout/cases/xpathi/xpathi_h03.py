from django.http import JsonResponse
from django.views import View
from lxml import etree

INVENTORY = etree.parse("/srv/app/inventory.xml")


class WarehouseStockView(View):
    query_template = "//warehouse[@code='{code}']/item/sku/text()"

    def get(self, request):
        code = request.headers.get("X-Warehouse", "MAIN")
        finder = etree.XPath(self.query_template.format(code=code))
        skus = [str(s) for s in finder(INVENTORY)]
        return JsonResponse({"warehouse": code, "skus": skus})
