from django.http import HttpResponse
from django.views import View

DEFAULT_FILTER = "True"


class ReportView(View):
    def build_filter(self, request):
        custom = request.COOKIES.get("report_filter")
        template = "lambda row: {}"
        return template.format(custom or DEFAULT_FILTER)

    def get(self, request):
        rows = [{"region": "eu", "sales": 120}, {"region": "us", "sales": 340}]
        predicate = eval(self.build_filter(request))
        selected = [r for r in rows if predicate(r)]
        lines = ["%s,%d" % (r["region"], r["sales"]) for r in selected]
        return HttpResponse("\n".join(lines), content_type="text/csv")
