// Jobs: the list with its filters, kept live (polled), and two pictures: jobs posted over the
// blocks, and what each recent job's slots paid against its ask.

import { all, get } from "../api.js";
import { fill, h, table } from "../dom.js";
import { accountLink, agrNumber, amount, badge, jobLink, problem, regions } from "../format.js";
import { askChart, stepChart } from "../plots.js";

export const NAME = "jobs";
const STATUSES = ["open", "provisional", "settled", "disputed", "unresolved", "expired", "void"];
const FILTERS = ["requester", "worker", "program", "region"];
const POLL_MS = 3000;
const ASK_JOBS = 24;

function columns() {
  return [
    { title: "Job", cell: (j) => jobLink(j.job_id) },
    { title: "Status", cell: (j) => badge(j.status) },
    { title: "Requester", cell: (j) => accountLink(j.requester) },
    { title: "Slots", class: "num", cell: (j) => `${j.quorum} of ${j.redundancy}` },
    { title: "Ask", class: "num", cell: (j) => `${j.min_price}–${j.max_price} AGR` },
    { title: "Escrow", class: "num", cell: (j) => amount(j.escrow) },
    { title: "Regions", cell: (j) => regions(j.regions) },
    { title: "Posted", class: "num", cell: (j) => (j.posted_block ?? "—").toLocaleString() },
    { title: "Last change", class: "num", cell: (j) => (j.updated_block ?? "—").toLocaleString() },
  ];
}

function filterBar(query) {
  const current = query.get("status") || "";
  const link = (status) => {
    const q = new URLSearchParams(query);
    if (status) q.set("status", status);
    else q.delete("status");
    const text = q.toString();
    return h(
      "a",
      { href: `#/jobs${text ? `?${text}` : ""}`, class: ["chip", status === current && "active"], dataset: { status: status || "all" } },
      status || "all",
    );
  };
  const form = h(
    "form",
    {
      class: "filters",
      onsubmit: (event) => {
        event.preventDefault();
        const q = new URLSearchParams();
        if (current) q.set("status", current);
        for (const key of FILTERS) {
          const value = form.elements[key].value.trim();
          if (value) q.set(key, value);
        }
        location.hash = `#/jobs?${q}`;
      },
    },
    FILTERS.map((key) =>
      h(
        "label",
        null,
        key,
        h("input", {
          name: key,
          value: query.get(key) || "",
          placeholder: { requester: "0x… address", worker: "0x… address", program: "0x… program id", region: "eu" }[key],
          size: key === "region" ? 4 : 14,
        }),
      ),
    ),
    h("button", { type: "submit" }, "Filter"),
    FILTERS.some((k) => query.get(k)) ? h("a", { href: `#/jobs${current ? `?status=${current}` : ""}` }, "clear") : null,
  );
  return h("div", { class: "toolbar" }, h("nav", { class: "chips", "aria-label": "status" }, link(""), STATUSES.map(link)), form);
}

function params(query) {
  const out = {};
  for (const key of ["status", ...FILTERS]) if (query.get(key)) out[key] = query.get(key);
  return out;
}

async function charts() {
  const everyJob = await all("/v1/jobs", {}, 2000);
  const posted = everyJob.filter((j) => j.posted_block !== null).sort((a, b) => a.posted_block - b.posted_block);
  const points = [];
  posted.forEach((j, i) => {
    if (points.length && points[points.length - 1][0] === j.posted_block) points[points.length - 1][1] = i + 1;
    else points.push([j.posted_block, i + 1]);
  });
  const settled = posted.filter((j) => j.status === "settled").sort((a, b) => a.updated_block - b.updated_block);
  const done = [];
  settled.forEach((j, i) => {
    if (done.length && done[done.length - 1][0] === j.updated_block) done[done.length - 1][1] = i + 1;
    else done.push([j.updated_block, i + 1]);
  });
  const recent = posted.slice(-ASK_JOBS);
  const details = await Promise.all(recent.map((j) => get(`/v1/jobs/${j.job_id}`).catch(() => null)));
  const asks = details
    .filter(Boolean)
    .map((d) => ({
      id: d.job_id,
      min: agrNumber(d.min_price),
      max: agrNumber(d.max_price),
      prices: d.slots.map((slot) => ({ price: agrNumber(slot.price), who: `slot ${slot.slot} (${slot.worker.slice(0, 8)}…)`, auditor: slot.auditor })),
    }));
  return h(
    "div",
    { class: "charts" },
    stepChart({
      title: "Jobs over time",
      caption: "posted and settled, in total, by block",
      yLabel: "jobs",
      series: [
        { name: "posted", points },
        { name: "settled", points: done },
      ],
    }),
    askChart({ title: "Price paid against the ask", caption: `the latest ${asks.length} jobs`, jobs: asks }),
  );
}

export async function render(view, { query, alive }) {
  const filters = params(query);
  const list = h("div", { class: "job-list" });
  const status = h("p", { class: "live muted", "aria-live": "off" });
  const more = h("div");
  let cursor = null;
  let pages = 1;

  async function load(append) {
    const page = await get("/v1/jobs", { ...filters, cursor: append ? cursor : null });
    cursor = page.next;
    return page;
  }

  let shown = [];
  function draw(items) {
    shown = items;
    fill(list, table(columns(), items, { empty: "No job matches.", rowProps: (j) => ({ dataset: { job: j.job_id, status: j.status } }) }));
    fill(
      more,
      cursor
        ? h(
            "button",
            {
              class: "secondary",
              onclick: async () => {
                pages += 1;
                const page = await load(true);
                draw([...shown, ...page.items]);
              },
            },
            "Load more",
          )
        : null,
    );
  }

  let failed = null;
  try {
    draw((await load(false)).items);
    status.textContent = `live: refreshed ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    failed = error; // shown under the filters, which stay to be corrected
    fill(list, problem(error));
  }

  const chartBox = h("div", { class: "charts-box" }, h("p", { class: "loading" }, "Drawing…"));
  charts()
    .then((node) => fill(chartBox, node))
    .catch((error) => fill(chartBox, problem(error, { compact: true })));

  fill(
    view,
    h("div", { class: "page-head" }, h("h1", null, "Jobs"), h("a", { class: "button", href: "#/submit" }, "Submit a job")),
    filterBar(query),
    status,
    list,
    more,
    chartBox,
  );

  if (failed) return null;
  const timer = setInterval(async () => {
    if (!alive() || pages > 1) return; // a longer list stays as loaded
    try {
      const page = await get("/v1/jobs", filters);
      cursor = page.next;
      draw(page.items);
      status.textContent = `live: refreshed ${new Date().toLocaleTimeString()}`;
      status.classList.remove("stale");
    } catch (error) {
      status.textContent = `not refreshed: ${error.message}`;
      status.classList.add("stale");
    }
  }, POLL_MS);
  return () => clearInterval(timer);
}
