"""Filter rows with a user-written predicate."""

from django.http import JsonResponse

ROWS = [{"id": 1, "score": 10}, {"id": 2, "score": 55}, {"id": 3, "score": 90}]


def filter_rows(request):
    condition = request.GET.get("where", "True")
    predicate = eval(f"lambda row: {condition}")
    return JsonResponse({"rows": [r for r in ROWS if predicate(r)]})
