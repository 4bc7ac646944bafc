// Building the page from data without ever parsing it as HTML: every string the API or the chain
// gives (names, text records, error details) becomes a text node, never markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function apply(node, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      node.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (key === "value" && "value" in node) {
      node.value = value;
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  return node;
}

/** An HTML element: h("a", {href: "#/jobs", class: "x"}, "text", child, ...). */
export function h(tag, props, ...children) {
  return append(apply(document.createElement(tag), props), children);
}

/** An SVG element, attributes as given. */
export function s(tag, props, ...children) {
  return append(apply(document.createElementNS(SVG_NS, tag), props), children);
}

/** Replaces the node's children. */
export function fill(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** A table: columns [{title, cell(row) -> node|string, class}] over rows; `empty` when none. */
export function table(columns, rows, { empty = "Nothing here yet.", rowProps } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("thead", null, h("tr", null, columns.map((c) => h("th", { class: c.class, scope: "col" }, c.title)))),
      h(
        "tbody",
        null,
        rows.map((row) =>
          h(
            "tr",
            rowProps ? rowProps(row) : null,
            columns.map((c) => h("td", { class: c.class, "data-label": c.title }, c.cell(row))),
          ),
        ),
      ),
    ),
  );
}

/** A definition list from [label, value] pairs (pairs with a null value are left out). */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(([, value]) => value !== null && value !== undefined && value !== "").map(([label, value]) => [
      h("dt", null, label),
      h("dd", null, value),
    ]),
  );
}

/** A section with a heading. */
export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", null, title), ...children);
}
