import express, { Request, Response } from "express";

const app = express();
const MAX_BYTES = 5 * 1024 * 1024;

app.get("/img/proxy", async (req: Request, res: Response) => {
  const source = String(req.query.src ?? "");
  if (!/^https?:\/\//.test(source)) {
    res.status(400).json({ error: "src must be an http(s) URL" });
    return;
  }
  const upstream = await fetch(source, { redirect: "follow" });
  const type = upstream.headers.get("content-type") ?? "";
  if (!upstream.ok || !type.startsWith("image/")) {
    res.status(502).end();
    return;
  }
  const buffer = Buffer.from(await upstream.arrayBuffer());
  if (buffer.length > MAX_BYTES) {
    res.status(413).end();
    return;
  }
  res.type(type).send(buffer);
});

export default app;
