import os

from django.http import FileResponse, Http404

REPORT_DIR = "/srv/reports"


def report_pdf(request, report_name):
    available = {entry for entry in os.listdir(REPORT_DIR) if entry.endswith(".pdf")}
    filename = f"{report_name}.pdf"
    if filename not in available:
        raise Http404("no such report")
    return FileResponse(open(os.path.join(REPORT_DIR, filename), "rb"), content_type="application/pdf")
