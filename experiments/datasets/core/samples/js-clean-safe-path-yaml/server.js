const express = require("express");
const fs = require("fs/promises");
const path = require("path");
const yaml = require("js-yaml");

const app = express();
const DOCS_DIR = path.resolve(__dirname, "docs");

app.get("/docs/:name", async (req, res) => {
  const resolved = path.resolve(DOCS_DIR, req.params.name);
  if (!resolved.startsWith(DOCS_DIR + path.sep)) {
    res.status(403).end();
    return;
  }
  try {
    const text = await fs.readFile(resolved, "utf8");
    const doc = yaml.load(text, { schema: yaml.JSON_SCHEMA });
    res.json(doc);
  } catch (err) {
    res.status(404).json({ error: "no such document" });
  }
});

module.exports = app;
