from django.http import HttpResponse

from shop.models import Customer, Order


def monthly_report(request, year, month):
    orders = Order.objects.filter(created__year=year, created__month=month)
    csv = "order_id,customer,email,total\n"
    for order in orders:
        customer = Customer.objects.get(pk=order.customer_id)
        csv += f"{order.id},{customer.name},{customer.email},{order.total}\n"
    response = HttpResponse(csv, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="orders-{year}-{month:02d}.csv"'
    return response
