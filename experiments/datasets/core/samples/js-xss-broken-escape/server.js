const express = require("express");

const app = express();

function escapeHtml(text) {
  return String(text).replace("<", "&lt;").replace(">", "&gt;");
}

function page(title, body) {
  return `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`;
}

app.get("/search", (req, res) => {
  const query = escapeHtml(req.query.q || "");
  const body = `<h1>Results for ${query}</h1><p>No products matched.</p>`;
  res.type("html").send(page("Search", body));
});

module.exports = app;
