// Workers: every account that staked, with its name, region, stake, earnings, slashes and
// reputation, and their earnings over the blocks; one worker's page with its slashes and reasons.

import { all, get } from "../api.js";
import { facts, fill, h, section, table } from "../dom.js";
import { accountLink, agrNumber, amount, jobLink, mono, percent, problem, txLink } from "../format.js";
import { stepChart } from "../plots.js";

export const NAME = "workers";
const CHART_WORKERS = 8;

function columns() {
  return [
    {
      title: "Name",
      cell: (w) => [
        accountLink(w.address, w.name),
        w.registered ? null : h("span", { class: "tag", title: "no stake left, or no verified reverse name: quotes leave it out" }, "unregistered"),
      ],
    },
    { title: "Address", cell: (w) => mono(w.address) },
    { title: "Region", cell: (w) => w.region || "—" },
    { title: "Stake (free / locked / unbonding)", class: "num", cell: (w) => `${w.stake_free} / ${w.stake_locked} / ${w.stake_unbonding} AGR` },
    { title: "Asks at least", class: "num", cell: (w) => (w.terms.min_price ? `${w.terms.min_price} AGR` : "—") },
    { title: "Slots", class: "num", cell: (w) => String(w.jobs) },
    { title: "Paid jobs", class: "num", cell: (w) => String(w.paid_jobs) },
    { title: "Earned", class: "num", cell: (w) => amount(w.earned) },
    { title: "Slashes", class: "num", cell: (w) => h("span", { class: w.slashes ? "bad" : "" }, String(w.slashes)) },
    { title: "Reputation", cell: (w) => percent(w.reputation) },
  ];
}

async function earnings(workers) {
  const paid = await all("/v1/settlements", { kind: "paid" }, 2000);
  const names = new Map(workers.map((w) => [w.address, w.name || `${w.address.slice(0, 8)}…`]));
  const by = new Map();
  for (const m of paid.sort((a, b) => a.block - b.block)) {
    if (!names.has(m.account)) continue;
    const points = by.get(m.account) || [];
    const total = (points.length ? points[points.length - 1][1] : 0) + agrNumber(m.amount);
    if (points.length && points[points.length - 1][0] === m.block) points[points.length - 1][1] = total;
    else points.push([m.block, total]);
    by.set(m.account, points);
  }
  const series = [...by.entries()]
    .sort((a, b) => b[1][b[1].length - 1][1] - a[1][a[1].length - 1][1])
    .slice(0, CHART_WORKERS)
    .map(([address, points]) => ({ name: names.get(address), points }));
  return stepChart({ title: "Earnings over time", caption: "AGR paid to each worker, in total, by block", yLabel: "AGR", unit: " AGR", series });
}

async function list(view) {
  const workers = await all("/v1/workers", {}, 1000, 100);
  const chart = h("div", { class: "charts-box" }, h("p", { class: "loading" }, "Drawing…"));
  earnings(workers)
    .then((node) => fill(chart, node))
    .catch((error) => fill(chart, problem(error, { compact: true })));
  fill(
    view,
    h("div", { class: "page-head" }, h("h1", null, "Workers")),
    h("p", { class: "muted" }, "Every account that staked. Reputation is paid jobs ÷ (paid jobs + slashes), from the settlements anyone can recompute."),
    table(columns(), workers, { empty: "No worker has staked yet.", rowProps: (w) => ({ dataset: { worker: w.address } }) }),
    chart,
  );
}

async function one(view, who) {
  const w = await get(`/v1/workers/${encodeURIComponent(who)}`);
  fill(
    view,
    h("div", { class: "page-head" }, h("h1", null, w.name || "Worker"), h("code", { class: "mono" }, w.address)),
    section(
      "Standing",
      facts([
        ["Name", w.name || "none (no verified reverse name)"],
        ["Stake free", amount(w.stake_free)],
        ["Locked as collateral", amount(w.stake_locked)],
        ["Unbonding", amount(w.stake_unbonding)],
        ["Slots taken", String(w.jobs)],
        ["Jobs paid", String(w.paid_jobs)],
        ["Earned", amount(w.earned)],
        ["Reputation", percent(w.reputation)],
        ["Jobs", [h("a", { href: `#/jobs?worker=${w.address}` }, "those it took a slot of"), " · ", h("a", { href: `#/jobs?requester=${w.address}` }, "those it requested")]],
        ["Settlements", h("a", { href: `#/settlements?account=${w.address}` }, "every payment and slash, re-checked on chain")],
      ]),
    ),
    section(
      "Slashes",
      table(
        [
          { title: "Job", cell: (m) => jobLink(m.job_id) },
          { title: "Amount", class: "num", cell: (m) => amount(m.amount) },
          { title: "Reason", cell: (m) => m.reason },
          { title: "Block", class: "num", cell: (m) => m.block.toLocaleString() },
          { title: "Transaction", cell: (m) => txLink(m.tx_hash) },
        ],
        w.slashes,
        { empty: "Never slashed." },
      ),
    ),
  );
}

export async function render(view, { params }) {
  if (params[0]) await one(view, params[0]);
  else await list(view);
}
