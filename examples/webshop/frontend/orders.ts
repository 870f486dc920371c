// Order lookup service used by the admin pages.
import { exec } from "child_process";
import { createHash } from "crypto";

interface Db {
  query(sql: string, params?: unknown[]): Promise<unknown[]>;
}

export async function findOrders(db: Db, customer: string): Promise<unknown[]> {
  // Problem: SQL assembled with a template literal.
  const rows = await db.query(`SELECT * FROM orders WHERE customer = '${customer}'`);
  // Safe: placeholders.
  return rows.concat(await db.query("SELECT * FROM orders WHERE customer = $1", [customer]));
}

export function archive(orderId: string): void {
  // Problem: a shell command with a caller-controlled value.
  exec("zip -r /tmp/archive.zip /orders/" + orderId);
}

export function receiptChecksum(body: string): string {
  // Problem: SHA-1 is broken for integrity protection.
  return createHash("sha1").update(body).digest("hex");
}
