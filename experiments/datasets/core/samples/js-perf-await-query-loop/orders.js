const express = require("express");
const { Pool } = require("pg");

const app = express();
const pool = new Pool();

app.get("/api/customers/:id/orders", async (req, res, next) => {
  try {
    const { rows: orders } = await pool.query(
      "SELECT id, created_at FROM orders WHERE customer_id = $1",
      [req.params.id]
    );
    const result = [];
    for (const order of orders) {
      const { rows: items } = await pool.query("SELECT sku, quantity FROM order_items WHERE order_id = $1", [order.id]);
      result.push({ ...order, items });
    }
    res.json(result);
  } catch (err) {
    next(err);
  }
});

module.exports = app;
