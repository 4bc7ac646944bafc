// Names: look a name up (owner, address record, text records, contenthash), and the names of the
// workers that staked.

import { all, get } from "../api.js";
import { facts, fill, h, section, table } from "../dom.js";
import { accountLink, mono, problem } from "../format.js";

export const NAME = "names";

async function lookup(name) {
  try {
    const n = await get(`/v1/names/${encodeURIComponent(name)}`);
    const records = Object.entries(n.text);
    return h(
      "div",
      { class: "name-card", dataset: { name: n.name } },
      section(
        n.name,
        facts([
          ["Node", mono(n.node, { full: true })],
          ["Owner", accountLink(n.owner)],
          ["Address record", n.address ? accountLink(n.address) : "none"],
          ["Contenthash", n.contenthash ? mono(n.contenthash, { full: true }) : "none"],
        ]),
        h("h3", null, "Text records"),
        table(
          [
            { title: "Key", cell: ([k]) => h("code", null, k) },
            { title: "Value", cell: ([, v]) => v },
          ],
          records,
          { empty: "No well-known text record." },
        ),
      ),
    );
  } catch (error) {
    return problem(error);
  }
}

export async function render(view, { params }) {
  const name = params[0] || "";
  const form = h(
    "form",
    {
      class: "filters",
      onsubmit: (event) => {
        event.preventDefault();
        const value = form.elements.name.value.trim().toLowerCase();
        if (value) location.hash = `#/names/${value}`;
      },
    },
    h("label", null, "name", h("input", { name: "name", value: name, placeholder: "alice or alice.agora", size: 24, autocomplete: "off" })),
    h("button", { type: "submit" }, "Look up"),
  );
  const known = await all("/v1/workers", {}, 500, 100).catch(() => []);
  const named = known.filter((w) => w.name);
  fill(
    view,
    h("div", { class: "page-head" }, h("h1", null, "Names")),
    h("p", { class: "muted" }, "ENS-style names under .agora: a worker's name points at its address and publishes its terms and endpoints as text records."),
    h("div", { class: "toolbar" }, form),
    name ? await lookup(name) : null,
    section(
      "Workers' names",
      named.length
        ? h("ul", { class: "names" }, named.map((w) => h("li", null, h("a", { href: `#/names/${w.name}` }, w.name), " ", mono(w.address))))
        : h("p", { class: "empty" }, "No worker has a verified name yet."),
    ),
  );
}
