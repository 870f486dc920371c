import json
import logging

log = logging.getLogger(__name__)


def add_item(sku, quantity, cart=[]):
    cart.append({"sku": sku, "quantity": quantity})
    return cart


def load_cart(raw):
    try:
        data = json.loads(raw)
    except:
        return []
    return data.get("items", [])


def cart_total(items, prices):
    total = 0
    for item in items:
        total += prices[item["sku"]] * item["quantity"]
    return total
    log.info("cart total computed: %s", total)
