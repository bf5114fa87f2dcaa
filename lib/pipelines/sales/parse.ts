import type { Sale } from "./types";

/** Parses one `sales` message; a string is the reason it is not a sale. */
export function parseSale(value: string | null): Sale | string {
  if (value === null) return "empty message";
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return "not JSON";
  }
  const s = v as Partial<Sale> | null;
  if (s === null || typeof s !== "object") return "not a JSON object";
  if (typeof s.item !== "string" || s.item === "") return "no item";
  if (typeof s.amount !== "number" || !Number.isFinite(s.amount)) return "amount is not a number";
  if (typeof s.time !== "number" || !Number.isFinite(s.time)) return "time is not a number";
  return { item: s.item, amount: s.amount, time: s.time };
}
