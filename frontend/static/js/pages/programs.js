// Programs: those jobs were posted for, most recently used first, with their store CID, how many
// jobs and the latest price a slot of one was locked at.

import { all } from "../api.js";
import { fill, h, table } from "../dom.js";
import { amount, mono } from "../format.js";

export const NAME = "programs";

export async function render(view) {
  const programs = await all("/v1/programs", {}, 1000);
  fill(
    view,
    h("div", { class: "page-head" }, h("h1", null, "Programs")),
    h("p", { class: "muted" }, "A program is a WebAssembly module in the store, named by its CID; a job names it by the CID's digest."),
    table(
      [
        { title: "Program id", cell: (p) => mono(p.program_id) },
        { title: "Store CID", cell: (p) => mono(p.cid, { full: true }) },
        { title: "Jobs", class: "num", cell: (p) => h("a", { href: `#/jobs?program=${p.program_id}` }, String(p.jobs)) },
        { title: "Last posted", class: "num", cell: (p) => `block ${p.last_posted_block.toLocaleString()}` },
        { title: "Latest clearing price", class: "num", cell: (p) => (p.last_clearing_price ? amount(p.last_clearing_price) : "no lock yet") },
      ],
      programs,
      { empty: "No job has been posted yet.", rowProps: (p) => ({ dataset: { program: p.program_id } }) },
    ),
  );
}
