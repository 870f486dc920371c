const express = require("express");
const mysql = require("mysql2/promise");

const app = express();
const pool = mysql.createPool({
  host: process.env.DB_HOST,
  user: process.env.DB_USER,
  password: process.env.DB_PASSWORD,
  database: "shop",
});

app.get("/api/orders", async (req, res, next) => {
  try {
    const status = req.query.status || "open";
    const sql = `SELECT id, total, created_at FROM orders WHERE status = '${status}' ORDER BY created_at DESC`;
    const [rows] = await pool.query(sql);
    res.json(rows);
  } catch (err) {
    next(err);
  }
});

app.listen(3000);
