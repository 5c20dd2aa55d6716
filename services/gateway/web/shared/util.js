// Small helpers shared by the merchant console and the consumer web app (plain ES modules, no build step).

const YUAN = /^(0|[1-9]\d{0,9})(\.\d{1,2})?$/;

/** Integer fen as "¥1,234.56"; money is never a float here. */
export function yuan(fen) {
  const n = Number(fen) || 0;
  const sign = n < 0 ? "-" : "";
  const abs = Math.abs(n);
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}¥${whole}.${String(abs % 100).padStart(2, "0")}`;
}

/** Integer fen as "1234.56", the form an amount field takes. */
export function plainYuan(fen) {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;
}

/** "12.3" -> 1230 fen; null when the text is not an amount in yuan with at most 2 decimals. */
export function parseYuan(text) {
  const value = String(text).trim();
  if (!YUAN.test(value)) return null;
  const [whole, frac = ""] = value.split(".");
  return Number(whole) * 100 + Number((frac + "00").slice(0, 2));
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Create an element: el("td", {class: "num"}, "text", child, ...). Text is always set as text, never HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Tell screen-reader users what just changed (the live region is in each page). */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (region) region.textContent = text;
}

/** Show a message in a status/alert element; kind "error" styles it as one. */
export function say(node, text, kind = "info") {
  node.textContent = text;
  node.dataset.kind = kind;
}

/** Today's date in Asia/Shanghai (the settlement business day), as YYYY-MM-DD. */
export function shanghaiDate(offsetDays = 0) {
  const day = new Date(Date.now() + offsetDays * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(day);
}

/** The time of day in Asia/Shanghai, where the shops are (24-hour). */
export function timeOf(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString("en-GB", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit",
    second: "2-digit" });
}

/** The REST error shape {"error": {code, message}} as one line. */
export function errorText(body, status) {
  const error = body && body.error;
  return error ? `${error.message || error.code} (${error.code})` : `request failed (HTTP ${status})`;
}

export const WAYS = { STORE_QR: "store QR", ORDER_QR: "order QR", PAYMENT_CODE: "payment code" };
