import json
import logging

log = logging.getLogger(__name__)


def add_item(sku, quantity, cart=None):
    if cart is None:
        cart = []
    cart.append({"sku": sku, "quantity": quantity})
    return cart


def load_cart(raw):
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        log.warning("discarding unreadable cart payload", exc_info=True)
        return []
    if not isinstance(data, dict):
        return []
    return data.get("items", [])


def cart_total(items, prices):
    total = 0
    for item in items:
        if item["sku"] not in prices:
            log.warning("no price for %s", item["sku"])
            continue
        total += prices[item["sku"]] * item["quantity"]
    log.debug("cart total computed: %s", total)
    return total
