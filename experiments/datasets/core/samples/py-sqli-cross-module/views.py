from flask import Flask, abort, jsonify, request, session

from repository import OrderRepository

app = Flask(__name__)
repo = OrderRepository()


@app.get("/orders")
def list_orders():
    customer_id = session.get("customer_id")
    if customer_id is None:
        abort(401)
    status = request.args.get("status", "open")
    rows = repo.find_by_status(customer_id, status)
    return jsonify(
        total=repo.count_for(customer_id),
        orders=[{"id": order_id, "total": total} for order_id, total in rows],
    )
