"""Pricing rules: one function that grew too many branches, and a simple one."""


def discount(customer, cart, coupon, today):
    # Problem: too complex to test every path.
    rate = 0
    if customer.is_vip:
        rate += 10
    elif customer.orders > 10:
        rate += 5
    if coupon and coupon.valid_on(today):
        rate += coupon.percent
    for item in cart:
        if item.on_sale and not item.clearance:
            rate += 1
        elif item.clearance or item.damaged:
            rate += 3
    while rate > 50:
        rate -= 5
    if today.weekday() == 6 and customer.is_vip:
        rate += 2
    return rate if rate < 60 else 60


def total(cart):
    # Safe: simple.
    return sum(item.price * item.quantity for item in cart)
