import crypto from "crypto";
import jwt from "jsonwebtoken";

const JWT_SECRET = "r3v13wsh0p-jwt-signing-key-2024";

export interface User {
  id: string;
  email: string;
  salt: string;
  passwordHash: string;
}

export function hashPassword(password: string, salt: string): string {
  return crypto.createHash("sha1").update(salt + password).digest("hex");
}

export function login(user: User, password: string): string | null {
  const candidate = Buffer.from(hashPassword(password, user.salt), "hex");
  const stored = Buffer.from(user.passwordHash, "hex");
  if (candidate.length !== stored.length || !crypto.timingSafeEqual(candidate, stored)) {
    return null;
  }
  return jwt.sign({ sub: user.id, email: user.email }, JWT_SECRET, { expiresIn: "1h" });
}
