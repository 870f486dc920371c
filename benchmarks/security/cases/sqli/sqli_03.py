"""Customer search view."""

from django.db import connection
from django.http import JsonResponse


def search_customers(request):
    term = request.GET.get("q", "")
    sql = "SELECT id, name FROM customers WHERE name LIKE '%" + term + "%'"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return JsonResponse({"results": [{"id": r[0], "name": r[1]} for r in rows]})
