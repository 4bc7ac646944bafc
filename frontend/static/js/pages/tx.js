// A transaction as the chain tells it (not the API): status, block, sender, target, gas, and each
// log decoded in the browser by the contract that emitted it.

import { facts, fill, h, section, table } from "../dom.js";
import { agrOf, mono, problem, when } from "../format.js";
import { readTransaction } from "../chain.js";

export const NAME = "tx";

function value(v) {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return `(${v.map(value).join(", ")})`;
  return String(v);
}

const AMOUNTS = new Set(["amount", "price", "escrow", "value", "pot", "jurorFees", "winnersShare", "burned"]);

function args(decoded) {
  return h(
    "dl",
    { class: "args" },
    decoded.fragment.inputs.map((input, i) => {
      const v = decoded.args[i];
      const agr = AMOUNTS.has(input.name) && typeof v === "bigint" ? h("span", { class: "muted" }, ` = ${agrOf(v)} AGR`) : null;
      return [h("dt", null, input.name), h("dd", null, h("code", null, value(v)), agr)];
    }),
  );
}

export async function render(view, { params }) {
  const hash = params[0].toLowerCase();
  let t;
  try {
    t = await readTransaction(hash);
  } catch (error) {
    fill(view, h("h1", null, "Transaction"), problem(error));
    return;
  }
  const { tx, receipt, block, logs, names, url } = t;
  const named = (address) => (address ? [mono(address), names.get(address.toLowerCase()) ? ` (${names.get(address.toLowerCase())})` : ""] : "—");
  fill(
    view,
    h("div", { class: "page-head" }, h("h1", null, "Transaction ", h("code", { class: "mono id" }, hash))),
    h("p", { class: "muted" }, `Read from the chain at ${url}, not from the API.`),
    section(
      "Receipt",
      facts([
        ["Status", receipt ? (receipt.status === "0x1" ? h("span", { class: "badge badge-settled" }, "success") : h("span", { class: "badge badge-expired" }, "reverted")) : "pending"],
        ["Block", receipt ? Number(receipt.blockNumber).toLocaleString() : "—"],
        ["Time", block ? when(Number(block.timestamp)) : null],
        ["From", named(tx.from)],
        ["To", named(tx.to)],
        ["Gas used", receipt ? Number(receipt.gasUsed).toLocaleString() : null],
      ]),
    ),
    section(
      "Events",
      table(
        [
          { title: "Log", class: "num", cell: (l) => String(Number(l.log.logIndex)) },
          { title: "Contract", cell: (l) => l.decoded?.contract || mono(l.log.address) },
          { title: "Event", cell: (l) => (l.decoded ? h("strong", null, l.decoded.event) : h("span", { class: "muted" }, mono(l.log.topics[0]))) },
          { title: "Arguments", cell: (l) => (l.decoded ? args(l.decoded) : h("code", { class: "mono" }, l.log.data)) },
        ],
        logs,
        { empty: "No event." },
      ),
    ),
  );
}
