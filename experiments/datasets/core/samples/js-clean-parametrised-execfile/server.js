const express = require("express");
const { execFile } = require("child_process");
const mysql = require("mysql2/promise");

const app = express();
const pool = mysql.createPool({ host: process.env.DB_HOST, user: "shop", database: "shop" });
const SORT_COLUMNS = { name: "name", price: "price", newest: "created_at" };

app.get("/api/products", async (req, res, next) => {
  try {
    const sort = String(req.query.sort || "name");
    const column = Object.hasOwn(SORT_COLUMNS, sort) ? SORT_COLUMNS[sort] : "name";
    const sql = `SELECT id, name, price FROM products WHERE category = ? ORDER BY ${column} LIMIT 50`;
    const [rows] = await pool.execute(sql, [req.query.category || "all"]);
    res.json(rows);
  } catch (err) {
    next(err);
  }
});

app.get("/admin/version", (req, res) => {
  execFile("git", ["rev-parse", "--short", "HEAD"], { cwd: __dirname }, (err, stdout) => {
    if (err) {
      res.status(500).json({ error: "git unavailable" });
      return;
    }
    res.json({ version: stdout.trim() });
  });
});

module.exports = app;
