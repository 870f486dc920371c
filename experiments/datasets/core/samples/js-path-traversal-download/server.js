const express = require("express");
const fs = require("fs");
const path = require("path");

const app = express();
const INVOICE_DIR = path.resolve(__dirname, "invoices");

app.get("/invoices/:file", (req, res) => {
  const file = decodeURIComponent(req.params.file);
  const fullPath = path.join(INVOICE_DIR, file);
  fs.stat(fullPath, (err, stat) => {
    if (err || !stat.isFile()) {
      res.status(404).send("not found");
      return;
    }
    res.setHeader("Content-Type", "application/pdf");
    fs.createReadStream(fullPath).pipe(res);
  });
});

module.exports = app;
