// The dashboard: hash routes to pages, the chain's and the index's health in the header.

import { get } from "./api.js";
import { fill, h } from "./dom.js";
import { problem } from "./format.js";
import * as job from "./pages/job.js";
import * as jobs from "./pages/jobs.js";
import * as names from "./pages/names.js";
import * as programs from "./pages/programs.js";
import * as settlements from "./pages/settlements.js";
import * as submit from "./pages/submit.js";
import * as tx from "./pages/tx.js";
import * as workers from "./pages/workers.js";

// [pattern, page, the nav entry it belongs to]
const ROUTES = [
  [/^jobs\/(0x[0-9a-fA-F]{64})$/, job, "jobs"],
  [/^jobs$/, jobs, "jobs"],
  [/^workers(?:\/(.+))?$/, workers, "workers"],
  [/^settlements$/, settlements, "settlements"],
  [/^names(?:\/(.+))?$/, names, "names"],
  [/^programs$/, programs, "programs"],
  [/^submit$/, submit, "submit"],
  [/^tx\/(0x[0-9a-fA-F]{64})$/, tx, null],
];

const main = document.getElementById("main");
let cleanup = null;
let generation = 0;

function parse() {
  const raw = decodeURIComponent(location.hash.replace(/^#\/?/, ""));
  const [path, query = ""] = raw.split("?");
  return { path: path.replace(/\/$/, ""), query: new URLSearchParams(query) };
}

async function route() {
  const { path, query } = parse();
  if (!path) {
    location.replace("#/jobs");
    return;
  }
  if (cleanup) {
    try {
      cleanup();
    } catch {
      // a page that failed to clean up must not keep the next one from showing
    }
    cleanup = null;
  }
  const mine = ++generation;
  const found = ROUTES.find(([pattern]) => pattern.test(path));
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("active", Boolean(found && link.dataset.nav === found[2]));
  }
  fill(main, h("p", { class: "loading" }, "Loading…"));
  if (!found) {
    fill(main, h("h1", null, "Not found"), h("p", null, `No page ${path}. `, h("a", { href: "#/jobs" }, "See the jobs.")));
    return;
  }
  const [pattern, page] = found;
  const params = pattern.exec(path).slice(1);
  const view = h("div", { class: "page", dataset: { page: page.NAME } });
  try {
    const done = await page.render(view, { params, query, alive: () => mine === generation });
    if (mine !== generation) {
      if (typeof done === "function") done();
      return;
    }
    cleanup = typeof done === "function" ? done : null;
    fill(main, view);
    window.scrollTo(0, 0);
  } catch (error) {
    if (mine === generation) fill(main, h("h1", null, "This page could not be shown"), problem(error));
  }
}

async function health() {
  const node = document.getElementById("health");
  try {
    const x = await get("/healthz");
    const lag = x.lag_blocks ?? 0;
    const state = !x.ok ? "down" : lag > 5 ? "behind" : "ok";
    fill(
      node,
      h("span", { class: `dot ${state}`, title: x.ok ? "the API and its database answer" : "the database does not answer" }),
      x.chain_head !== null ? `block ${x.chain_head.toLocaleString()}` : "no chain",
      x.indexed_block !== null ? h("span", { class: "muted" }, ` · indexed ${x.indexed_block.toLocaleString()}${lag ? ` (${lag} behind)` : ""}`) : null,
    );
    node.title = `chain head ${x.chain_head}, indexed ${x.indexed_block}, lag ${x.lag_blocks} blocks`;
  } catch (error) {
    fill(node, h("span", { class: "dot down" }), `API: ${error.message}`);
  }
}

window.addEventListener("hashchange", route);
route();
health();
setInterval(health, 5000);
