from django.db import connection
from django.http import JsonResponse


def search_products(request):
    term = request.GET.get("q", "")
    max_price = request.GET.get("max_price")
    sql = "SELECT id, name, price FROM catalog_product WHERE name ILIKE %s"
    params = ["%" + term + "%"]
    if max_price:
        sql += " AND price <= %s"
        params.append(max_price)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return JsonResponse({"results": [{"id": r[0], "name": r[1], "price": str(r[2])} for r in rows]})
