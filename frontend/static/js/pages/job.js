// A job: its terms, why it is where it is (the API's explanation, while it is not settled), its
// result with how the run ended and where it is stored (every shard checked on its node), its slots,
// the money it moved, and its timeline of on-chain events (each with block, position and
// transaction), kept live over the API's server-sent events.

import { COURT_EVENTS, MARKET_EVENTS } from "../abi.js";
import { ApiError, get, request, workerNames } from "../api.js";
import { facts, fill, h, section, table } from "../dom.js";
import { FINAL, accountLink, amount, badge, duration, mono, problem, regions, txLink, when } from "../format.js";

export const NAME = "job";
const EVENT_NAMES = [...MARKET_EVENTS, ...COURT_EVENTS].map((f) => /^event (\w+)\(/.exec(f)[1]);
const EXPLAINED = new Set(["open", "provisional", "disputed", "unresolved", "expired", "void"]);
const PREVIEW = 4096;
const SEGMENTS_SHOWN = 32;

function terms(job) {
  return facts([
    ["Status", badge(job.status)],
    ["Requester", accountLink(job.requester)],
    ["Program", h("a", { href: `#/jobs?program=${job.program_id}`, title: "jobs of this program" }, mono(job.program_id))],
    ["Input", mono(job.input_digest)],
    ["Verification", `${job.mode}: a quorum of ${job.quorum} of ${job.redundancy} slots`],
    ["Ask", `${job.min_price} to ${job.max_price} AGR`],
    ["Collateral", amount(job.collateral)],
    ["Escrow", amount(job.escrow)],
    ["Regions", regions(job.regions)],
    ["Fuel limit", Number(job.fuel_limit).toLocaleString()],
    ["Lock by", when(job.lock_deadline)],
    ["Commit by", when(job.commit_deadline)],
    ["Reveal by", when(job.reveal_deadline)],
    ["Posted", job.posted_block !== null ? h("span", null, `block ${job.posted_block.toLocaleString()} `, txLink(job.posted_tx)) : job.posted_tx ? txLink(job.posted_tx) : "not yet"],
    ["Agreed result", job.result_digest ? mono(job.result_digest, { full: true }) : null],
    ["Nonce", job.nonce],
  ]);
}

function relayError(job) {
  if (!job.relay_error) return null;
  return problem({ problem: { title: "The market refused to post this request", ...job.relay_error, detail: job.relay_error.detail || job.relay_error.message } });
}

async function explanation(id) {
  try {
    const x = await get(`/v1/jobs/${id}/explain`);
    return section(
      "Why it is where it is",
      h("p", { class: "summary" }, x.summary),
      x.reasons.length ? h("ul", null, x.reasons.map((r) => h("li", null, r))) : null,
      x.next ? h("p", null, h("strong", null, "Next: "), x.next, x.next_at ? [" (", when(x.next_at), ")"] : null) : null,
      x.slashes.length
        ? h(
            "ul",
            { class: "slashes" },
            x.slashes.map((sl) => h("li", null, accountLink(sl.worker, sl.name), ` lost ${sl.amount} AGR: ${sl.why} `, txLink(sl.tx_hash))),
          )
        : null,
      x.figures.quorum_in !== null && x.figures.quorum_in !== undefined
        ? h("p", { class: "muted" }, `The ask reaches a quorum of willing workers in ${duration(x.figures.quorum_in)}.`)
        : null,
    );
  } catch (error) {
    return section("Why it is where it is", problem(error, { compact: true }));
  }
}

function printable(bytes) {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return /[\x00-\x08\x0e-\x1f]/.test(text) ? null : text;
  } catch {
    return null;
  }
}

async function result(job) {
  if (!job.result_digest) return null;
  const id = job.job_id;
  const stop = new AbortController();
  try {
    const answer = await request(`/v1/jobs/${id}/result`, { signal: stop.signal });
    const head = (name) => answer.headers.get(name);
    const size = Number(head("content-length") || 0);
    const reader = answer.body.getReader();
    const chunks = [];
    let read = 0;
    while (read < PREVIEW) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      read += value.length;
    }
    reader.cancel().catch(() => {});
    const bytes = new Uint8Array(read);
    let at = 0;
    for (const c of chunks) bytes.set(c, (at += c.length) - c.length);
    const text = printable(bytes.slice(0, PREVIEW));
    const status = head("x-agora-run-status");
    return section(
      job.status === "settled" ? "Result" : "Result (provisional)",
      facts([
        ["Run", h("span", { class: `badge run-${status}`, dataset: { run: status } }, status)],
        ["Exit code", head("x-agora-exit-code")],
        ["Fuel used", Number(head("x-agora-fuel-used")).toLocaleString()],
        ["Output", h("span", null, mono(head("x-agora-output-cid"), { full: true }), ` (${size.toLocaleString()} bytes)`)],
        ["Run record", mono(head("x-agora-result-cid"), { full: true })],
      ]),
      h("p", null, h("a", { class: "button", href: `/v1/jobs/${id}/result`, download: `job-${id.slice(2, 10)}.out` }, "Download the output")),
      text !== null ? h("pre", { class: "preview" }, text + (size > PREVIEW ? "\n…" : "")) : h("p", { class: "muted" }, "Binary output: download it to read it."),
    );
  } catch (error) {
    if (error instanceof ApiError && error.kind === "no-result-yet") return null;
    return section("Result", problem(error, { compact: true }));
  }
}

async function stored(job) {
  if (!job.result_digest) return null;
  const title = "Where the result is stored";
  try {
    const answer = await get(`/v1/jobs/${job.job_id}/result/shards`);
    return section(
      title,
      h("p", { class: "muted" }, "Each shard fetched from its store node just now and checked against the blob's manifest; a blob is readable while every segment has k good shards."),
      ...answer.blobs.map(blobShards),
    );
  } catch (error) {
    if (error instanceof ApiError && error.kind === "no-result-yet") return null;
    return section(title, problem(error, { compact: true }));
  }
}

function blobShards(blob) {
  const good = blob.shards.filter((s) => s.ok).length;
  const bySegment = new Map();
  for (const s of blob.shards) bySegment.set(s.segment, [...(bySegment.get(s.segment) || []), s]);
  const segments = [...bySegment.entries()];
  const said = [
    blob.size !== null ? `${blob.size.toLocaleString()} bytes` : null,
    blob.checked ? `${good} of ${blob.shards.length} shards good, ${blob.k}+${blob.m} coding` : null,
    blob.detail || null,
  ].filter(Boolean);
  return h(
    "div",
    { class: "blob-shards", dataset: { blob: blob.what, readable: String(blob.readable) } },
    h(
      "p",
      null,
      h("strong", null, blob.what), " ", mono(blob.cid), " ",
      h("span", { class: `badge ${blob.readable ? "badge-settled" : "badge-failed"}` }, blob.readable ? "readable" : "not readable"),
      " ", h("span", { class: "muted" }, said.join(" · ")),
    ),
    segments.length
      ? h(
          "div",
          { class: "shard-grid" },
          segments.slice(0, SEGMENTS_SHOWN).map(([segment, shards]) =>
            h(
              "div",
              { class: "shard-row" },
              h("span", { class: "muted seg" }, `segment ${segment}`),
              shards.map((s) =>
                h(
                  "span",
                  {
                    class: `shard ${s.ok ? "ok" : "bad"}`,
                    title: `shard ${s.index} (${s.index < blob.k ? "data" : "parity"}) on ${s.node} [${s.region || "no region"}]${s.ok ? "" : ": " + s.reason}`,
                    dataset: { ok: String(s.ok), node: s.node },
                  },
                  String(s.index),
                ),
              ),
            ),
          ),
          segments.length > SEGMENTS_SHOWN ? h("p", { class: "muted" }, `… and ${segments.length - SEGMENTS_SHOWN} more segments`) : null,
        )
      : null,
  );
}

function slots(job, names) {
  return table(
    [
      { title: "Slot", class: "num", cell: (x) => String(x.slot) },
      { title: "Worker", cell: (x) => accountLink(x.worker, names.get(x.worker.toLowerCase())) },
      { title: "Price", class: "num", cell: (x) => amount(x.price) },
      { title: "Role", cell: (x) => (x.auditor ? "auditor" : "worker") },
      { title: "Committed", cell: (x) => (x.committed ? "yes" : "no") },
      { title: "Revealed digest", cell: (x) => (x.digest ? mono(x.digest) : "—") },
      { title: "Run record", cell: (x) => (x.result_cid ? mono(x.result_cid) : "—") },
      { title: "Locked in", class: "num", cell: (x) => `block ${x.locked_block.toLocaleString()}` },
    ],
    job.slots,
    { empty: "No slot taken yet." },
  );
}

function money(job, names) {
  return table(
    [
      { title: "Kind", cell: (m) => h("span", { class: `kind kind-${m.kind}` }, m.kind) },
      { title: "Account", cell: (m) => accountLink(m.account, names.get(m.account.toLowerCase())) },
      { title: "Amount", class: "num", cell: (m) => amount(m.amount) },
      { title: "Reason", cell: (m) => m.reason || "" },
      { title: "Block", class: "num", cell: (m) => m.block.toLocaleString() },
      { title: "Transaction", cell: (m) => txLink(m.tx_hash) },
    ],
    job.settlements,
    { empty: "Nothing paid, slashed or refunded yet." },
  );
}

function timeline(job) {
  if (!job.timeline.length) return h("p", { class: "empty" }, "No event on chain yet.");
  return h(
    "ol",
    { class: "timeline" },
    job.timeline.map((e) =>
      h(
        "li",
        { dataset: { event: e.event, tx: e.tx_hash, id: `${e.block}-${e.log_index}` } },
        h("span", { class: "where" }, `block ${e.block.toLocaleString()} · log ${e.log_index}`),
        h("span", { class: "what" }, h("strong", null, e.event), " ", e.says),
        h("span", { class: "tx" }, txLink(e.tx_hash)),
      ),
    ),
  );
}

async function content(job) {
  const [why, out, where, names] = await Promise.all([
    EXPLAINED.has(job.status) ? explanation(job.job_id) : null,
    result(job),
    stored(job),
    workerNames(),
  ]);
  const waiting =
    job.status === "accepted"
      ? h("p", { class: "notice" }, "Accepted by the API: its relayer posts it to the chain shortly. This page follows it.")
      : null;
  return [
    waiting,
    relayError(job),
    section("Terms", terms(job)),
    why,
    out,
    where,
    section("Slots", slots(job, names)),
    section("Settlements", money(job, names)),
    section("Timeline", h("p", { class: "muted" }, "Every event of this job on chain, in order: block, position in it, and its transaction."), timeline(job)),
  ];
}

export async function render(view, { params, alive }) {
  const id = params[0].toLowerCase();
  let job = await get(`/v1/jobs/${id}`);
  const body = h("div", { class: "job-body" });
  const head = h("div", { class: "page-head" });
  const drawHead = () =>
    fill(head, h("h1", null, "Job ", h("code", { class: "mono id", title: id }, id)), badge(job.status), h("span", { class: "live muted" }, FINAL.has(job.status) ? "final" : "live"));
  drawHead();
  fill(body, ...(await content(job)));
  fill(view, head, body);

  let source = null;
  let timer = null;
  let pending = null;
  const stop = () => {
    if (source) source.close();
    source = null;
    clearInterval(timer);
    clearTimeout(pending);
  };
  const refresh = async () => {
    if (!alive()) return stop();
    try {
      job = await get(`/v1/jobs/${id}`);
      const parts = await content(job);
      if (!alive()) return stop();
      drawHead();
      fill(body, ...parts);
      follow();
    } catch {
      // the next event or tick tries again
    }
  };
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(refresh, 400);
  };
  function follow() {
    if (FINAL.has(job.status)) return stop();
    if (job.posted_block === null) {
      timer ??= setInterval(refresh, 2000); // not indexed yet: nothing to stream
      return;
    }
    clearInterval(timer);
    timer = null;
    if (source) return;
    const seen = new Set(job.timeline.map((e) => `${e.block}-${e.log_index}`));
    source = new EventSource(`/v1/jobs/${id}/events`);
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (event) => {
        if (!seen.has(event.lastEventId)) {
          seen.add(event.lastEventId);
          soon();
        }
      });
    }
  }
  follow();
  return stop;
}
