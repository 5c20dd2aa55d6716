// The consumer web app: the same REST API as the mobile apps (Bearer access token, refresh on expiry).
// Tokens live in sessionStorage: closing the tab signs out.
import { $, WAYS, announce, el, errorText, parseYuan, plainYuan, say, timeOf, yuan } from "./util.js";

const SESSION = "scanpay-app-session";
let session = JSON.parse(sessionStorage.getItem(SESSION) || "null");
let mode = "sign-in";
let resolved = null;
let codeTimer = null;

function message(text, kind = "info") {
  say($("#msg"), text, kind);
  announce(text);
}

// --- API ----------------------------------------------------------------------------------------------

async function api(method, path, payload, retried = false) {
  const headers = { "Content-Type": "application/json" };
  if (session) headers.Authorization = `Bearer ${session.access_token}`;
  if (method === "POST") headers["Idempotency-Key"] = crypto.randomUUID();
  const response = await fetch(path, { method, headers, body: payload === undefined ? undefined : JSON.stringify(payload) });
  const body = (response.headers.get("Content-Type") || "").includes("json") ? await response.json() : null;
  if (response.status === 401 && session && !retried && body?.error?.code === "TOKEN_EXPIRED" && await refresh()) {
    return api(method, path, payload, true);
  }
  if (response.status === 401 && session && path !== "/v1/sessions") {
    signedOut("Please sign in again.");
  }
  return { status: response.status, body };
}

async function refresh() {
  const response = await fetch("/v1/sessions/refresh", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: session.refresh_token }) });
  if (response.status !== 200) return false;
  keep({ ...session, ...(await response.json()) });
  return true;
}

function keep(value) {
  session = value;
  if (value) sessionStorage.setItem(SESSION, JSON.stringify(value));
  else sessionStorage.removeItem(SESSION);
}

// --- sign in / sign up --------------------------------------------------------------------------------

function switchMode(next) {
  mode = next;
  $("#tab-sign-in").setAttribute("aria-selected", String(next === "sign-in"));
  $("#tab-sign-up").setAttribute("aria-selected", String(next === "sign-up"));
  $("#auth-form").setAttribute("aria-labelledby", next === "sign-in" ? "tab-sign-in" : "tab-sign-up");
  $("#auth-submit").textContent = next === "sign-in" ? "Sign in" : "Create account";
  $("#password").autocomplete = next === "sign-in" ? "current-password" : "new-password";
}

async function authenticate(event) {
  event.preventDefault();
  const note = $("#auth-msg");
  const button = $("#auth-submit");
  const credentials = { phone: $("#phone").value.trim(), password: $("#password").value };
  button.disabled = true;
  say(note, "");
  try {
    if (mode === "sign-up") {
      const created = await api("POST", "/v1/consumers", credentials);
      if (created.status !== 201) return say(note, errorText(created.body, created.status), "error");
    }
    const login = await api("POST", "/v1/sessions", credentials);
    if (login.status !== 201) return say(note, errorText(login.body, login.status), "error");
    keep({ ...login.body, phone: credentials.phone });
    $("#password").value = "";
    await enter();
    message(mode === "sign-up" ? "Welcome to scanpay!" : "Signed in", "ok");
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  await api("DELETE", "/v1/sessions/current");
  signedOut("Signed out");
}

function signedOut(text) {
  keep(null);
  $("#home").hidden = true;
  $("#sign-out").hidden = true;
  $("#auth-view").hidden = false;
  say($("#auth-msg"), text);
}

async function enter() {
  $("#auth-view").hidden = true;
  $("#home").hidden = false;
  $("#sign-out").hidden = false;
  $("#phone-shown").textContent = session.phone ? `Account ${session.phone}` : "";
  show("wallet");
}

// --- views --------------------------------------------------------------------------------------------

const LOADERS = { wallet: loadWallet, envelopes: loadEnvelopes, pay: async () => {}, history: loadHistory };

function show(view) {
  for (const button of document.querySelectorAll(".tabs button")) {
    if (button.dataset.view === view) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== `view-${view}`;
  return LOADERS[view]();
}

async function loadWallet() {
  const [balance, cards] = await Promise.all([api("GET", "/v1/me/wallet"), api("GET", "/v1/me/cards")]);
  if (balance.status === 200) $("#balance").textContent = yuan(balance.body.available);
  if (cards.status !== 200) return;
  $("#cards").replaceChildren(...cards.body.cards.map((c) =>
    el("li", {}, el("span", { class: "what" }, `${c.brand} •••• ${c.last4}`, el("small", {}, `${c.holder_name} · ${c.expiry}`)))));
  if (!cards.body.cards.length) $("#cards").append(el("li", { class: "muted" }, "No card yet: bind one to top up."));
  $("#topup-card").replaceChildren(...cards.body.cards.map((c) => el("option", { value: c.card_id }, `${c.brand} •••• ${c.last4}`)));
  $("#bind-card").open = !cards.body.cards.length;
}

async function bindCard(event) {
  event.preventDefault();
  const reply = await api("POST", "/v1/me/cards", { card_number: $("#card-number").value.replace(/[\s-]/g, ""),
    expiry: $("#card-expiry").value.trim(), holder_name: $("#card-holder").value.trim() });
  if (reply.status !== 201) return message(errorText(reply.body, reply.status), "error");
  $("#card-number").value = "";
  message(`Card •••• ${reply.body.last4} bound`, "ok");
  await loadWallet();
}

async function topUp(event) {
  event.preventDefault();
  const amount = parseYuan($("#topup-amount").value);
  if (!amount) return message("Enter an amount in yuan, e.g. 100.00", "error");
  const reply = await api("POST", "/v1/me/topups", { card_id: $("#topup-card").value, amount });
  if (reply.status !== 201) return message(errorText(reply.body, reply.status), "error");
  if (reply.body.state === "SUCCEEDED") message(`Topped up ${yuan(reply.body.amount)}`, "ok");
  else message(`Top-up ${reply.body.state.toLowerCase()}${reply.body.failure_reason ? `: ${reply.body.failure_reason}` : ""}`,
    reply.body.state === "FAILED" ? "error" : "info");
  await loadWallet();
}

async function loadEnvelopes() {
  const [campaigns, coupons] = await Promise.all([api("GET", "/app/api/campaigns"), api("GET", "/v1/me/coupons")]);
  if (campaigns.status === 200) {
    $("#campaigns").replaceChildren(...campaigns.body.campaigns.map((c) => el("li", { class: "envelope" },
      el("span", { class: "what" }, c.name,
        el("small", {}, c.min_amount === c.max_amount ? `${yuan(c.min_amount)} each` : `${yuan(c.min_amount)}–${yuan(c.max_amount)}`)),
      el("button", { type: "button", "data-campaign-id": c.campaign_id, "aria-label": `Grab a red envelope from ${c.name}`,
        onclick: (e) => grab(c, e.currentTarget) }, "Grab"))));
    if (!campaigns.body.campaigns.length) $("#campaigns").append(el("li", { class: "muted" }, "No red envelopes right now."));
  }
  if (coupons.status === 200) {
    $("#coupons").replaceChildren(...coupons.body.coupons.map((c) => el("li", { "data-coupon-id": c.coupon_id },
      el("span", { class: "what" }, `${yuan(c.value)} off`, el("small", {}, `${c.campaign_name} · ${c.status.toLowerCase()}`
        + (c.min_spend ? ` · over ${yuan(c.min_spend)}` : ""))))));
    if (!coupons.body.coupons.length) $("#coupons").append(el("li", { class: "muted" }, "No coupons yet."));
  }
}

async function grab(campaign, button) {
  button.disabled = true;
  try {
    const reply = await api("POST", `/v1/red-envelopes/${encodeURIComponent(campaign.campaign_id)}/grab`, {});
    if (reply.status !== 201) return message(errorText(reply.body, reply.status), "error");
    if (reply.body.status === "GRANTED") message(`You got ${yuan(reply.body.coupon.value)} off!`, "ok");
    else message(reply.body.message || reply.body.status.toLowerCase().replace("_", " "));
    await loadEnvelopes();
  } finally {
    button.disabled = false;
  }
}

// --- paying -------------------------------------------------------------------------------------------

async function decodeImage() {
  const file = $("#qr-image").files[0];
  if (!file) return;
  try {
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    const codes = await detector.detect(await createImageBitmap(file));
    if (!codes.length) return message("No QR code found in that picture", "error");
    $("#qr-text").value = codes[0].rawValue;
    message("QR code read", "ok");
  } catch (e) {
    message(`Could not read the picture: ${e.message}`, "error");
  }
}

async function resolveQr(event) {
  event.preventDefault();
  const reply = await api("POST", "/v1/qr/resolve", { qr_payload: $("#qr-text").value.trim() });
  if (reply.status !== 200) return message(errorText(reply.body, reply.status), "error");
  resolved = reply.body;
  $("#pay-form").hidden = false;
  $("#pay-to").textContent = `Pay ${resolved.store_name}`;
  $("#pay-kind").textContent = `${resolved.merchant_name} · ${resolved.kind === "ORDER" ? "order" : "store"} QR`;
  const amount = $("#pay-amount");
  amount.readOnly = resolved.kind === "ORDER";
  amount.value = resolved.amount ? plainYuan(resolved.amount) : "";
  $("#pay-submit").textContent = resolved.amount ? `Pay ${yuan(resolved.amount)}` : "Pay";
  amount.focus();
}

async function pay(event) {
  event.preventDefault();
  const amount = parseYuan($("#pay-amount").value);
  if (!amount) return message("Enter an amount in yuan, e.g. 38.00", "error");
  const button = $("#pay-submit");
  button.disabled = true;
  try {
    const body = { qr_payload: $("#qr-text").value.trim() };
    if (resolved.kind !== "ORDER") body.amount = amount;
    const reply = await api("POST", "/v1/payments", body);
    if (reply.status !== 201) return message(errorText(reply.body, reply.status), "error");
    const trade = reply.body;
    if (trade.status === "TRADE_SUCCESS") {
      message(`Paid ${yuan(trade.paid)} to ${resolved.store_name}` + (trade.discount ? ` (${yuan(trade.discount)} red envelope)` : ""), "ok");
      $("#pay-form").hidden = true;
      $("#qr-text").value = "";
    } else {
      message(`Payment failed: ${trade.close_reason || trade.status}`, "error");
    }
  } finally {
    button.disabled = false;
  }
}

async function showPaymentCode() {
  const reply = await api("POST", "/v1/payment-codes", {});
  if (reply.status !== 201) return message(errorText(reply.body, reply.status), "error");
  const code = reply.body.payment_code;
  $("#payment-code").textContent = code.replace(/(\d{4})(?=\d)/g, "$1 ");
  clearTimeout(codeTimer);
  codeTimer = setTimeout(() => { $("#payment-code").textContent = "Expired: show a new one"; }, 60000);
}

async function loadHistory() {
  const reply = await api("GET", "/v1/me/trades?limit=50");
  if (reply.status !== 200) return;
  $("#history").replaceChildren(...reply.body.trades.map((t) => el("li", { "data-trade-id": t.trade_id },
    el("span", { class: "what" }, t.subject || t.store_id,
      el("small", {}, `${timeOf(t.paid_at || t.created_at)} · ${WAYS[t.way] || t.way}`
        + (t.discount ? ` · ${yuan(t.discount)} off` : "") + (t.refunded ? ` · ${yuan(t.refunded)} refunded` : "")
        + (t.close_reason ? ` · ${t.close_reason}` : ""))),
    el("span", { class: "num" }, yuan(t.paid || t.amount), el("br"), el("span", { class: `badge ${t.status}` },
      t.status.replace("TRADE_", "").toLowerCase())))));
  if (!reply.body.trades.length) $("#history").append(el("li", { class: "muted" }, "No payments yet."));
}

document.addEventListener("DOMContentLoaded", () => {
  $("#tab-sign-in").addEventListener("click", () => switchMode("sign-in"));
  $("#tab-sign-up").addEventListener("click", () => switchMode("sign-up"));
  $("#auth-form").addEventListener("submit", authenticate);
  $("#sign-out").addEventListener("click", signOut);
  $("#card-form").addEventListener("submit", bindCard);
  $("#topup-form").addEventListener("submit", topUp);
  $("#scan-form").addEventListener("submit", resolveQr);
  $("#pay-form").addEventListener("submit", pay);
  $("#code-button").addEventListener("click", showPaymentCode);
  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => show(button.dataset.view));
  }
  if ("BarcodeDetector" in window) $("#qr-image").addEventListener("change", decodeImage);
  else $("#qr-upload-row").replaceChildren(el("p", { class: "muted" },
    "This browser cannot read QR pictures; paste the QR text instead."));
  if (session) enter();
});
