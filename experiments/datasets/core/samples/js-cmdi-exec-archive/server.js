const express = require("express");
const { exec } = require("child_process");
const path = require("path");

const app = express();
const EXPORT_DIR = "/var/lib/shop/exports";

function archiveCommand(name) {
  const target = path.join(EXPORT_DIR, "archives");
  return "tar -czf " + target + "/" + name + ".tar.gz -C " + EXPORT_DIR + " current";
}

app.post("/admin/exports/archive", express.json(), (req, res) => {
  const name = req.body.name;
  exec(archiveCommand(name), { timeout: 30000 }, (err, stdout, stderr) => {
    if (err) {
      res.status(500).json({ error: stderr });
      return;
    }
    res.json({ archived: name });
  });
});

module.exports = app;
