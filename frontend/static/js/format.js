// How things read: amounts, hashes, addresses, times, statuses, and errors as problems.

import { h } from "./dom.js";

export const WEI = 10n ** 18n;
export const FINAL = new Set(["settled", "expired", "void", "failed"]);

/** Wei (BigInt) as an exact decimal AGR string: 1500000000000000000n -> "1.5". */
export function agrOf(wei) {
  const negative = wei < 0n;
  const abs = negative ? -wei : wei;
  const whole = abs / WEI;
  const fraction = (abs % WEI).toString().padStart(18, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** An exact decimal AGR string as wei: "0.5" -> 500000000000000000n (throws on anything else). */
export function weiOf(agr) {
  const text = String(agr).trim();
  const match = /^(\d+)(?:\.(\d{1,18}))?$/.exec(text);
  if (!match) throw new Error(`${JSON.stringify(text)} is not an amount of AGR (e.g. 10 or 0.5)`);
  return BigInt(match[1]) * WEI + BigInt((match[2] || "").padEnd(18, "0"));
}

/** An AGR amount string for plots (a float is fine there). */
export function agrNumber(agr) {
  return Number(agr);
}

export function amount(agr) {
  return h("span", { class: "amount" }, agr === null || agr === undefined ? "—" : `${agr} AGR`);
}

/** 0x1234…cdef, with the whole value as its tooltip. */
export function short(hex, keep = 6) {
  if (!hex) return "—";
  const text = String(hex);
  if (text.length <= 2 + keep * 2 + 1) return text;
  return `${text.slice(0, 2 + keep)}…${text.slice(-4)}`;
}

export function mono(text, { full = false, keep } = {}) {
  return h("code", { class: "mono", title: text }, full ? text : short(text, keep));
}

export function jobLink(id, keep = 8) {
  return h("a", { href: `#/jobs/${id}`, class: "mono", title: id }, short(id, keep));
}

export function txLink(hash) {
  return h("a", { href: `#/tx/${hash}`, class: "mono tx", title: `transaction ${hash}` }, short(hash, 8));
}

export function accountLink(address, name) {
  if (!address) return "—";
  return h(
    "a",
    { href: `#/workers/${address}`, class: name ? "name" : "mono", title: address },
    name || short(address, 6),
  );
}

export function badge(status) {
  return h("span", { class: `badge badge-${status}`, dataset: { status } }, status);
}

/** Unix seconds as local date and time. */
export function when(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const date = new Date(Number(seconds) * 1000);
  return h("time", { datetime: date.toISOString(), title: date.toISOString() }, date.toLocaleString());
}

/** Seconds as words: 95 -> "1 min 35 s". */
export function duration(seconds) {
  let rest = Math.max(0, Math.round(Number(seconds)));
  const parts = [];
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["min", 60],
  ]) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  if (rest || !parts.length) parts.push(`${rest} s`);
  return parts.slice(0, 2).join(" ");
}

/** An error as a panel: a problem's title, detail, the contract error and each failing field. */
export function problem(error, { compact = false } = {}) {
  const p = error && error.problem ? error.problem : { title: error?.title || "Error", detail: String(error?.message || error) };
  const status = error && error.status ? ` (${error.status})` : "";
  const args = p.args ? Object.entries(p.args).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`) : [];
  return h(
    "div",
    { class: ["problem", compact && "compact"], role: "alert" },
    h("strong", null, `${p.title || "Error"}${status}`),
    p.detail ? h("p", { class: "detail" }, p.detail) : null,
    p.error ? h("p", null, "Contract error: ", h("code", null, `${p.error}(${args.join(", ")})`)) : null,
    Array.isArray(p.errors) && p.errors.length
      ? h(
          "ul",
          null,
          p.errors.map((e) => h("li", null, h("code", null, (e.loc || []).join(".")), ": ", e.msg || JSON.stringify(e))),
        )
      : null,
    p.type && !compact ? h("p", { class: "muted" }, h("code", null, p.type)) : null,
  );
}

/** The regions of a job: "anywhere" when it allows every one. */
export function regions(list) {
  return list && list.length ? list.join(", ") : "anywhere";
}

export function percent(ratio) {
  if (ratio === null || ratio === undefined) return h("span", { class: "muted" }, "no outcome yet");
  const pct = Math.round(ratio * 100);
  const bar = h("span", { class: ["fill", pct < 80 && "low"] });
  bar.style.width = `${pct}%`; // CSSOM, which the page's style-src 'self' allows
  return h("span", { class: "reputation", title: `${ratio}` }, h("span", { class: "bar" }, bar), `${pct}%`);
}
