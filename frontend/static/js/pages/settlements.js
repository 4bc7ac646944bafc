// Settlements, the audit log: every payment, slash, refund and court payment the API lists, each
// re-checked here against the chain itself (its transaction's receipt, over JSON-RPC, decoded in
// the browser), so the API's database is not what a reader has to trust.

import { get, workerNames } from "../api.js";
import { fill, h, table } from "../dom.js";
import { accountLink, agrOf, amount, jobLink, problem, txLink } from "../format.js";
import { chainUrl, checkSettlements, setChainUrl } from "../chain.js";

export const NAME = "settlements";
const KINDS = ["paid", "slashed", "refunded", "claim", "juror"];
const MARK = { pending: "checking…", confirmed: "✓ confirmed", disagrees: "✗ disagrees", error: "? unchecked" };

function verdictCell(key) {
  return h("span", { class: "verdict pending", dataset: { verdict: key } }, MARK.pending);
}

function filters(query) {
  const form = h(
    "form",
    {
      class: "filters",
      onsubmit: (event) => {
        event.preventDefault();
        const q = new URLSearchParams();
        for (const key of ["kind", "account"]) if (form.elements[key].value.trim()) q.set(key, form.elements[key].value.trim());
        location.hash = `#/settlements${q.toString() ? `?${q}` : ""}`;
      },
    },
    h(
      "label",
      null,
      "kind",
      h("select", { name: "kind" }, h("option", { value: "" }, "any"), KINDS.map((k) => h("option", { value: k, selected: query.get("kind") === k }, k))),
    ),
    h("label", null, "account", h("input", { name: "account", value: query.get("account") || "", placeholder: "0x… address", size: 20 })),
    h("button", { type: "submit" }, "Filter"),
  );
  return form;
}

async function chainBox(onChange) {
  const current = await chainUrl();
  const form = h(
    "form",
    {
      class: "filters rpc",
      onsubmit: (event) => {
        event.preventDefault();
        setChainUrl(form.elements.rpc.value.trim());
        onChange();
      },
    },
    h("label", null, "JSON-RPC", h("input", { name: "rpc", value: current || "", placeholder: "http://127.0.0.1:8545", size: 28 })),
    h("button", { type: "submit", class: "secondary" }, "Check against this node"),
  );
  return form;
}

export async function render(view, { query, alive }) {
  const params = { kind: query.get("kind"), account: query.get("account"), limit: 200 };
  let items = [];
  let next = null;
  const summary = h("div", { id: "check-summary", class: "check-summary pending", "aria-live": "polite" }, "Checking each settlement against the chain…");
  const listBox = h("div");
  const extra = h("div");
  const cells = new Map();

  async function verify() {
    const counts = { confirmed: 0, disagrees: 0, error: 0 };
    for (const cell of cells.values()) {
      cell.className = "verdict pending";
      cell.textContent = MARK.pending;
      cell.removeAttribute("title");
    }
    fill(extra);
    summary.className = "check-summary pending";
    summary.textContent = "Checking each settlement against the chain…";
    try {
      const unaccounted = await checkSettlements(items, (item, verdict) => {
        const cell = cells.get(item);
        counts[verdict.state] += 1;
        if (!cell || !alive()) return;
        cell.className = `verdict ${verdict.state}`;
        cell.dataset.verdict = verdict.state;
        cell.closest("tr").dataset.check = verdict.state;
        fill(cell, MARK[verdict.state], h("small", null, verdict.says));
        cell.title = verdict.says;
      });
      const url = await chainUrl();
      const bad = counts.disagrees + counts.error;
      summary.className = `check-summary ${counts.disagrees ? "disagrees" : counts.error ? "error" : "confirmed"}`;
      fill(
        summary,
        h("strong", null, bad ? `${counts.disagrees} of ${items.length} disagree with the chain` : `All ${items.length} settlements agree with the chain`),
        counts.error ? ` (${counts.error} could not be checked)` : "",
        h("span", { class: "muted" }, ` — each re-read from its transaction's receipt at ${url}, decoded in this browser.`),
      );
      // Omissions can be told only when this list is every settlement there is.
      if (!next && !params.kind && !params.account && unaccounted.length) {
        fill(
          extra,
          h(
            "div",
            { class: "problem", role: "alert" },
            h("strong", null, `The chain holds ${unaccounted.length} settlement event(s) in these transactions that the API does not list:`),
            h("ul", null, unaccounted.map((u) => h("li", null, `${u.kind} ${agrOf(u.wei)} AGR to ${u.account} (job ${u.job.slice(0, 10)}…, log ${u.logIndex}) `, txLink(u.tx)))),
          ),
        );
      }
    } catch (error) {
      summary.className = "check-summary error";
      fill(summary, h("strong", null, "Not checked against the chain: "), error.message);
      for (const cell of cells.values()) {
        cell.className = "verdict error";
        cell.textContent = MARK.error;
      }
    }
  }

  function draw() {
    cells.clear();
    const rows = items.map((m) => ({ m, cell: verdictCell(m) }));
    for (const r of rows) cells.set(r.m, r.cell);
    fill(
      listBox,
      table(
        [
          { title: "Kind", cell: (r) => h("span", { class: `kind kind-${r.m.kind}` }, r.m.kind) },
          { title: "Job", cell: (r) => jobLink(r.m.job_id) },
          { title: "Account", cell: (r) => accountLink(r.m.account, names.get(r.m.account.toLowerCase())) },
          { title: "Amount", class: "num", cell: (r) => amount(r.m.amount) },
          { title: "Reason", cell: (r) => r.m.reason || "" },
          { title: "Block", class: "num", cell: (r) => r.m.block.toLocaleString() },
          { title: "Transaction", cell: (r) => txLink(r.m.tx_hash) },
          { title: "On chain", cell: (r) => r.cell },
        ],
        rows,
        { empty: "No settlement yet: nothing has been paid, slashed or refunded.", rowProps: (r) => ({ dataset: { tx: r.m.tx_hash, kind: r.m.kind, check: "pending" } }) },
      ),
      next
        ? h(
            "button",
            {
              class: "secondary",
              onclick: async () => {
                const page = await get("/v1/settlements", { ...params, cursor: next });
                items = [...items, ...page.items];
                next = page.next;
                draw();
                verify();
              },
            },
            "Load more",
          )
        : null,
    );
  }

  const names = await workerNames();
  try {
    const page = await get("/v1/settlements", params);
    items = page.items;
    next = page.next;
  } catch (error) {
    fill(view, h("h1", null, "Settlements"), problem(error));
    return;
  }
  draw();
  fill(
    view,
    h("div", { class: "page-head" }, h("h1", null, "Settlements")),
    h(
      "p",
      { class: "muted" },
      "The audit log: every payment, slash, refund and court payment, newest first. The API lists them; this page does not take its word for it: ",
      "it fetches each transaction's receipt from the chain over JSON-RPC and compares the event's job, account, amount and reason.",
    ),
    h("div", { class: "toolbar" }, filters(query), await chainBox(() => verify())),
    summary,
    extra,
    listBox,
  );
  if (items.length) verify();
  else fill(summary, "Nothing to check yet.");
}
