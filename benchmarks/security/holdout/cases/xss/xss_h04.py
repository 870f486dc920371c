from django.http import HttpResponse
from django.views import View

GUESTBOOK = []


class GuestbookView(View):
    def post(self, request):
        entry = {"author": request.POST.get("author", "anon"), "text": request.POST.get("message", "")}
        GUESTBOOK.append(entry)
        return self.get(request)

    def get(self, request):
        parts = ["<h1>Guestbook</h1>"]
        for entry in GUESTBOOK[-20:]:
            parts.append("<p><b>{}</b>: {}</p>".format(entry["author"], entry["text"]))
        return HttpResponse("\n".join(parts))
