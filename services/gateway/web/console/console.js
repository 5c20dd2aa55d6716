// The merchant console. Every call to the merchant API is signed here with WebCrypto HMAC-SHA256, exactly like
// a POS (services/gateway/rest/guards.py): signature = hex HMAC(secret, METHOD\nPATH?QUERY\nTS\nNONCE\nsha256(body)).
// The secret is imported as a non-extractable CryptoKey and kept in IndexedDB until sign-out; the raw text is
// dropped at once. The live feed (EventSource cannot sign) uses the session cookie that signing in sets.
import { $, WAYS, announce, el, errorText, parseYuan, plainYuan, say, shanghaiDate, timeOf, yuan } from "./util.js";

const enc = new TextEncoder();
const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
const DB = "scanpay-console";

let signer = null;
let feed = null;
const trades = new Map();
const storeNames = new Map();

// --- key storage --------------------------------------------------------------------------------------

function keyStore(mode, work) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore("keys");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction("keys", mode);
      const request = work(tx.objectStore("keys"));
      tx.oncomplete = () => { open.result.close(); resolve(request && request.result); };
      tx.onerror = () => reject(tx.error);
    };
  });
}

class Signer {
  constructor(keyId, key, offset = 0) { this.keyId = keyId; this.key = key; this.offset = offset; }

  static async fromSecret(keyId, secret) {
    const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" },
      false, ["sign"]);
    return new Signer(keyId, key);
  }

  async headers(method, pathAndQuery, body) {
    const timestamp = String(Math.floor(Date.now() / 1000) + this.offset);
    const nonce = crypto.randomUUID().replaceAll("-", "");
    const base = [method, pathAndQuery, timestamp, nonce, hex(await crypto.subtle.digest("SHA-256", body))].join("\n");
    const signature = hex(await crypto.subtle.sign("HMAC", this.key, enc.encode(base)));
    return { "X-Scanpay-Key-Id": this.keyId, "X-Scanpay-Timestamp": timestamp, "X-Scanpay-Nonce": nonce,
      "X-Scanpay-Signature": signature };
  }
}

/** A signed call; resolves to {status, body, response}. */
async function call(method, path, payload) {
  const body = payload === undefined ? new Uint8Array() : enc.encode(JSON.stringify(payload));
  const headers = await signer.headers(method, path, body);
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  if (method === "POST") headers["Idempotency-Key"] = crypto.randomUUID();
  const response = await fetch(path, { method, headers, body: method === "GET" ? undefined : body,
    credentials: "same-origin" });
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : null;
  if (response.status === 401 && data && ["SIGNATURE_INVALID", "TIMESTAMP_STALE"].includes(data.error.code)) {
    await signOut("Your key was refused; sign in again.");
  }
  return { status: response.status, body: data, response };
}

// --- sign in / out ------------------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const error = $("#sign-in-error");
  const button = $("#sign-in");
  say(error, "");
  button.disabled = true;
  try {
    signer = await Signer.fromSecret($("#key-id").value.trim(), $("#secret").value);
    $("#secret").value = "";
    const reply = await call("POST", "/console/api/session");
    if (reply.status !== 201) {
      signer = null;
      say(error, errorText(reply.body, reply.status), "error");
      return;
    }
    signer.offset = reply.body.server_time - Math.floor(Date.now() / 1000);
    await keyStore("readwrite", (s) => s.put({ keyId: signer.keyId, key: signer.key, merchant: reply.body }, "current"));
    await showDashboard(reply.body);
  } catch (e) {
    signer = null;
    say(error, `Could not sign in: ${e.message}`, "error");
  } finally {
    button.disabled = false;
  }
}

async function signOut(message = "") {
  if (feed) feed.close();
  feed = null;
  signer = null;
  await fetch("/console/api/session", { method: "DELETE", credentials: "same-origin" }).catch(() => {});
  await keyStore("readwrite", (s) => s.delete("current")).catch(() => {});
  trades.clear();
  $("#trade-rows").replaceChildren();
  $("#dashboard").hidden = true;
  $("#who").hidden = true;
  $("#sign-in-view").hidden = false;
  say($("#sign-in-error"), message, message ? "error" : "info");
  $("#key-id").focus();
}

async function resume() {
  const saved = await keyStore("readonly", (s) => s.get("current")).catch(() => null);
  if (!saved) return;
  signer = new Signer(saved.keyId, saved.key);
  // A fresh session cookie (the old one may have expired), signed with the stored key.
  const reply = await call("POST", "/console/api/session");
  if (reply.status === 201) {
    signer.offset = reply.body.server_time - Math.floor(Date.now() / 1000);
    await showDashboard(reply.body);
  } else {
    await signOut("Your session ended; sign in again.");
  }
}

async function showDashboard(merchant) {
  $("#sign-in-view").hidden = true;
  $("#dashboard").hidden = false;
  $("#who").hidden = false;
  $("#merchant-name").textContent = merchant.merchant_name;
  $("#merchant-id").textContent = merchant.merchant_id;
  $("#statement-date").value = merchant.business_date || shanghaiDate();
  document.title = `${merchant.merchant_name} · scanpay console`;
  connectFeed();
  await Promise.all([loadStores(), loadTrades(), loadTotals()]);
  $("#live-title").focus?.();
}

// --- today's totals -----------------------------------------------------------------------------------

let totalsTimer = null;

async function loadTotals() {
  const reply = await call("GET", "/console/api/today");
  if (reply.status !== 200) return;
  const t = reply.body;
  $("#totals-date").textContent = t.business_date;
  $("#t-trades").textContent = t.trades;
  $("#t-gross").textContent = yuan(t.gross);
  $("#t-discounts").textContent = yuan(t.discounts);
  $("#t-refunded").textContent = yuan(t.refunded);
  $("#t-net").textContent = yuan(t.net_sales);
  $("#t-failed").textContent = t.failed;
}

function refreshTotalsSoon() {
  clearTimeout(totalsTimer);
  totalsTimer = setTimeout(loadTotals, 300);
}

// --- trades -------------------------------------------------------------------------------------------

async function loadTrades() {
  const reply = await call("GET", "/v1/merchant/trades?limit=50");
  if (reply.status !== 200) return;
  for (const trade of reply.body.trades.slice().reverse()) upsert(trade, false);
}

function upsert(trade, fresh) {
  trades.set(trade.trade_id, trade);
  const left = trade.amount - trade.refunded;
  const refundable = trade.status === "TRADE_SUCCESS" && left > 0;
  const row = el("tr", { "data-trade-id": trade.trade_id, class: fresh ? "fresh" : null },
    el("td", {}, timeOf(trade.paid_at || trade.created_at)),
    el("td", { class: "mono" }, trade.trade_id),
    el("td", {}, storeNames.get(trade.store_id) || trade.store_id),
    el("td", {}, WAYS[trade.way] || trade.way),
    el("td", { class: "num" }, yuan(trade.amount)),
    el("td", { class: "num" }, trade.discount ? yuan(trade.discount) : "–"),
    el("td", {}, el("span", { class: `badge ${trade.status}` }, trade.status.replace("TRADE_", "").replace("_", " ")),
      trade.close_reason ? el("span", { class: "muted" }, ` ${trade.close_reason}`) : null),
    el("td", { class: "num" }, trade.refunded ? yuan(trade.refunded) : "–"),
    el("td", {}, refundable
      ? el("button", { type: "button", class: "secondary", "aria-label": `Refund trade ${trade.trade_id}`,
        onclick: () => openRefund(trade.trade_id) }, "Refund")
      : ""));
  const body = $("#trade-rows");
  const existing = body.querySelector(`tr[data-trade-id="${CSS.escape(trade.trade_id)}"]`);
  if (existing) existing.replaceWith(row);
  else body.prepend(row);
  while (body.rows.length > 200) body.deleteRow(body.rows.length - 1);
  $("#trades-empty").hidden = body.rows.length > 0;
}

async function reloadTrade(tradeId, fresh = false) {
  const reply = await call("GET", `/v1/merchant/trades/${encodeURIComponent(tradeId)}`);
  if (reply.status === 200) upsert(reply.body, fresh);
}

// --- live feed ----------------------------------------------------------------------------------------

function liveState(state, text) {
  const badge = $("#live-state");
  badge.dataset.state = state;
  badge.textContent = text;
}

function connectFeed() {
  if (feed) feed.close();
  feed = new EventSource("/console/api/feed");
  feed.addEventListener("ready", () => liveState("live", "live"));
  feed.addEventListener("payment", (message) => onEvent(JSON.parse(message.data)));
  feed.onerror = async () => {
    liveState("down", "reconnecting…");
    if (feed.readyState === EventSource.CLOSED && signer) {
      // The cookie expired or was refused: sign a new session, then reopen.
      const reply = await call("POST", "/console/api/session");
      if (reply.status === 201) setTimeout(connectFeed, 1000);
    }
  };
}

async function onEvent(event) {
  if (event.type === "trade.succeeded") {
    upsert({ trade_id: event.trade_id, store_id: event.store_id, way: event.way, amount: event.amount,
      discount: event.discount, paid: event.paid, refunded: 0, status: "TRADE_SUCCESS", paid_at: event.at,
      out_trade_no: event.out_trade_no }, true);
    announce(`New payment ${yuan(event.amount)} at ${storeNames.get(event.store_id) || event.store_id}`);
  } else if (trades.has(event.trade_id)) {
    await reloadTrade(event.trade_id);
    if (event.type === "refund.succeeded") announce(`Refund of ${yuan(event.amount)} done`);
  }
  refreshTotalsSoon();
}

// --- stores and QR codes ------------------------------------------------------------------------------

async function loadStores() {
  const reply = await call("GET", "/console/api/stores");
  if (reply.status !== 200) return;
  const list = $("#stores");
  list.replaceChildren();
  for (const store of reply.body.stores) {
    storeNames.set(store.store_id, store.name);
    const qr = await call("GET", `/v1/merchant/stores/${encodeURIComponent(store.store_id)}/qr?format=json`);
    const item = el("li", { "data-store-id": store.store_id }, el("strong", {}, store.name));
    if (qr.status === 200) {
      item.append(
        el("img", { src: qr.body.svg_data_uri, alt: `Store QR code of ${store.name}`, width: 160, height: 160 }),
        el("details", {}, el("summary", {}, "QR text"), el("p", { class: "mono qr-text" }, qr.body.qr_payload)),
        el("button", { type: "button", class: "secondary", onclick: () => downloadPng(store) }, "Download PNG"));
    } else {
      item.append(el("p", { class: "muted" }, errorText(qr.body, qr.status)));
    }
    list.append(item);
  }
  for (const row of $("#trade-rows").rows) {
    const trade = trades.get(row.dataset.tradeId);
    if (trade) upsert(trade, false);
  }
}

async function downloadPng(store) {
  const reply = await call("GET", `/v1/merchant/stores/${encodeURIComponent(store.store_id)}/qr?format=png`);
  if (reply.status === 200) saveBlob(await reply.response.blob(), `qr_${store.store_id}.png`);
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// --- refunds ------------------------------------------------------------------------------------------

let refunding = null;

function openRefund(tradeId) {
  const trade = trades.get(tradeId);
  refunding = trade;
  $("#refund-trade").textContent = tradeId;
  $("#refund-left").textContent = `Paid ${yuan(trade.amount)}; ${yuan(trade.amount - trade.refunded)} can still be refunded.`;
  $("#refund-amount").value = plainYuan(trade.amount - trade.refunded);
  say($("#refund-error"), "");
  $("#refund-dialog").showModal();
  $("#refund-amount").select();
}

async function confirmRefund(event) {
  event.preventDefault();
  const amount = parseYuan($("#refund-amount").value);
  if (!amount) {
    say($("#refund-error"), "Enter an amount in yuan, e.g. 12.50", "error");
    return;
  }
  const button = $("#refund-confirm");
  button.disabled = true;
  try {
    const reply = await call("POST", `/v1/merchant/trades/${encodeURIComponent(refunding.trade_id)}/refunds`, {
      out_refund_no: `console-${Date.now()}`, amount, reason: $("#refund-reason").value.slice(0, 200) });
    if (reply.status !== 201) {
      say($("#refund-error"), errorText(reply.body, reply.status), "error");
      return;
    }
    upsert(reply.body.trade, true);
    $("#refund-dialog").close();
    announce(`Refunded ${yuan(amount)}: ${reply.body.refund.status}`);
    refreshTotalsSoon();
  } finally {
    button.disabled = false;
  }
}

// --- statements ---------------------------------------------------------------------------------------

async function downloadStatement(event) {
  event.preventDefault();
  const day = $("#statement-date").value;
  const message = $("#statement-msg");
  say(message, "Fetching…");
  const reply = await call("GET", `/v1/merchant/statements/${day}`);
  if (reply.status !== 200) {
    say(message, errorText(reply.body, reply.status), "error");
    return;
  }
  const disposition = reply.response.headers.get("Content-Disposition") || "";
  const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || `statement_${day}.csv`;
  saveBlob(await reply.response.blob(), name);
  say(message, `Downloaded ${name}`, "ok");
}

document.addEventListener("DOMContentLoaded", () => {
  $("#sign-in-form").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", () => signOut());
  $("#refund-form").addEventListener("submit", confirmRefund);
  $("#refund-cancel").addEventListener("click", () => $("#refund-dialog").close());
  $("#statement-form").addEventListener("submit", downloadStatement);
  resume();
});
