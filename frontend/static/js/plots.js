// Small inline SVG charts, drawn here: a step/line chart of series over blocks, and each job's ask
// range beside the prices its slots were locked at. Colours come from the stylesheet (series-N).

import { h, s } from "./dom.js";

const W = 640;
const H = 250;
const M = { left: 58, right: 16, top: 14, bottom: 38 };

/** About `count` round tick values covering [min, max]. */
export function ticks(min, max, count = 5) {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((v) => v >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function label(value) {
  if (Math.abs(value) >= 1e6) return `${+(value / 1e6).toPrecision(3)}M`;
  if (Math.abs(value) >= 1e4) return `${+(value / 1e3).toPrecision(3)}k`;
  return String(+value.toPrecision(6));
}

function frame({ xMin, xMax, yMax, xLabel, yLabel, xTicks, xTickLabel = label }) {
  const x = (v) => M.left + ((v - xMin) / (xMax - xMin || 1)) * (W - M.left - M.right);
  const y = (v) => H - M.bottom - (v / (yMax || 1)) * (H - M.top - M.bottom);
  const grid = s("g", { class: "grid" });
  for (const t of ticks(0, yMax, 4)) {
    grid.append(
      s("line", { x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }),
      s("text", { x: M.left - 6, y: y(t) + 4, "text-anchor": "end" }, label(t)),
    );
  }
  for (const t of xTicks ?? ticks(xMin, xMax, 6)) {
    if (t < xMin || t > xMax) continue;
    grid.append(
      s("line", { class: "tick", x1: x(t), x2: x(t), y1: H - M.bottom, y2: H - M.bottom + 4 }),
      s("text", { x: x(t), y: H - M.bottom + 16, "text-anchor": "middle" }, xTickLabel(t)),
    );
  }
  grid.append(
    s("line", { class: "axis", x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }),
    s("text", { class: "axis-label", x: (M.left + W - M.right) / 2, y: H - 4, "text-anchor": "middle" }, xLabel),
    s("text", { class: "axis-label", x: 12, y: M.top + (H - M.top - M.bottom) / 2, transform: `rotate(-90 12 ${M.top + (H - M.top - M.bottom) / 2})`, "text-anchor": "middle" }, yLabel),
  );
  return { x, y, grid };
}

function legend(entries) {
  return h(
    "ul",
    { class: "legend" },
    entries.map(([name, cls]) => h("li", null, h("span", { class: `swatch ${cls}` }), name)),
  );
}

function figure(title, svg, caption, legendNode) {
  return h("figure", { class: "chart" }, h("figcaption", null, h("strong", null, title), caption ? ` — ${caption}` : ""), svg, legendNode);
}

/**
 * Series over blocks as steps (a running total changes at a block and holds until the next):
 * series [{name, points: [[block, value], ...] sorted}], with a tooltip on each point.
 */
export function stepChart({ title, caption, series, xLabel = "block", yLabel, unit = "" }) {
  const all = series.flatMap((one) => one.points);
  if (!all.length) return figure(title, h("p", { class: "empty" }, "Nothing to plot yet."), caption);
  let xMin = Math.min(...all.map((p) => p[0]));
  const xMax = Math.max(...all.map((p) => p[0]));
  if (xMin === xMax) xMin = xMax - 1;
  const yMax = Math.max(...all.map((p) => p[1])) * 1.1 || 1;
  const { x, y, grid } = frame({ xMin, xMax, yMax, xLabel, yLabel });
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, class: "plot" }, grid);
  series.forEach((one, i) => {
    const cls = `series-${i % 8}`;
    let d = `M ${x(xMin)} ${y(0)}`;
    for (const [bx, v] of one.points) d += ` H ${x(bx)} V ${y(v)}`;
    d += ` H ${x(xMax)}`;
    svg.append(s("path", { d, class: `line ${cls}` }));
    for (const [bx, v] of one.points) {
      svg.append(
        s("circle", { cx: x(bx), cy: y(v), r: 3, class: `dot ${cls}` }, s("title", null, `${one.name}: ${label(v)}${unit} at block ${bx}`)),
      );
    }
  });
  const entries = series.length > 1 ? legend(series.map((one, i) => [one.name, `series-${i % 8}`])) : null;
  return figure(title, svg, caption, entries);
}

/**
 * Each job's ask range (from its minimum to its maximum price) as a bar, and the price each of its
 * slots was locked at as a dot: where in the range the market cleared.
 * jobs [{id, min, max, prices: [{price, worker, auditor}]}], oldest first.
 */
export function askChart({ title, caption, jobs }) {
  if (!jobs.length) return figure(title, h("p", { class: "empty" }, "No job yet."), caption);
  const yMax = Math.max(...jobs.flatMap((j) => [j.max, ...j.prices.map((p) => p.price)])) * 1.1 || 1;
  const n = jobs.length;
  const every = Math.max(1, Math.ceil(n / 8));
  const xTicks = jobs.map((_, i) => i).filter((i) => i % every === 0);
  const { x, y, grid } = frame({
    xMin: -0.5,
    xMax: n - 0.5,
    yMax,
    xLabel: "jobs, oldest to newest",
    yLabel: "AGR",
    xTicks,
    xTickLabel: (i) => jobs[i]?.id.slice(2, 8) ?? "",
  });
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, class: "plot" }, grid);
  const width = Math.max(3, Math.min(18, ((W - M.left - M.right) / n) * 0.5));
  jobs.forEach((job, i) => {
    const top = y(job.max);
    svg.append(
      s(
        "a",
        { href: `#/jobs/${job.id}` },
        s(
          "rect",
          { x: x(i) - width / 2, y: top, width, height: Math.max(1, y(job.min) - top), rx: 2, class: "ask" },
          s("title", null, `job ${job.id.slice(0, 10)}…: the ask ranges ${job.min}–${job.max} AGR`),
        ),
      ),
    );
    for (const p of job.prices) {
      svg.append(
        s(
          "circle",
          { cx: x(i), cy: y(p.price), r: 4, class: p.auditor ? "paid auditor" : "paid" },
          s("title", null, `${p.who} locked at ${p.price} AGR (ask ${job.min}–${job.max})`),
        ),
      );
    }
  });
  return figure(title, svg, caption, legend([["the ask's range (min to max)", "ask"], ["price a slot locked at", "paid"]]));
}
