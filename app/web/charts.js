// Small SVG charts drawn by the page itself (no library, no network): horizontal bars, grouped bars and lines.
// Every chart is an image with a title and a description for screen readers, and the page shows the same
// numbers in a table beside it. Series differ by pattern, dash and marker shape, and carry text labels, so
// colour is never the only signal.
"use strict";

window.PeerCECharts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  let serial = 0;

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined && v !== false) node.setAttribute(k, String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const number = (n) => Number(n).toLocaleString("en-US", { maximumFractionDigits: 2 });
  const textWidth = (node, text) => {
    try { return node.getComputedTextLength() || text.length * 7.5; } catch { return text.length * 7.5; }
  };

  // A <svg role="img"> sized to its container's width, with <title> and <desc>, and pattern fills in <defs>.
  function frame(container, height, title, desc) {
    const width = Math.max(Math.floor(container.clientWidth || 320), 260);
    const id = `chart-${++serial}`;
    const root = svg("svg", {
      width, height, viewBox: `0 0 ${width} ${height}`, role: "img", focusable: "false",
      "aria-labelledby": `${id}-title ${id}-desc`, class: "chart",
    }, svg("title", { id: `${id}-title` }, title), svg("desc", { id: `${id}-desc` }, desc));
    const defs = svg("defs", {},
      svg("pattern", { id: `${id}-hatch`, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
        svg("rect", { width: 6, height: 6, class: "fill-unmet-bg" }),
        svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "stroke-unmet", "stroke-width": 3 })),
      svg("pattern", { id: `${id}-dots`, width: 5, height: 5, patternUnits: "userSpaceOnUse" },
        svg("rect", { width: 5, height: 5, class: "fill-supply-bg" }),
        svg("circle", { cx: 2.5, cy: 2.5, r: 1.4, class: "fill-supply" })));
    root.append(defs);
    container.replaceChildren(root);
    return { root, width, height, id };
  }

  // One bar per row: label (with its icon) on the left, the bar, and the value at its end.
  // rows: [{label, value, tone}]
  function bars(container, rows, { title, desc, unit = "" }) {
    const rowHeight = 34;
    const { root, width } = frame(container, rows.length * rowHeight + 8, title, desc);
    const labelWidth = Math.min(170, Math.floor(width * 0.42));
    const valueWidth = 64;
    const max = Math.max(1, ...rows.map((r) => Number(r.value)));
    const span = Math.max(width - labelWidth - valueWidth - 12, 20);
    rows.forEach((r, i) => {
      const y = i * rowHeight + 6;
      const w = Math.max((Number(r.value) / max) * span, Number(r.value) > 0 ? 2 : 0);
      root.append(
        svg("text", { x: labelWidth - 8, y: y + 17, "text-anchor": "end", class: "chart-label" }, r.label),
        svg("rect", { x: labelWidth, y: y + 3, width: span, height: 20, rx: 3, class: "track" }),
        svg("rect", { x: labelWidth, y: y + 3, width: w, height: 20, rx: 3, class: `bar tone-${r.tone || "info"}` }),
        svg("text", { x: labelWidth + w + 6, y: y + 18, class: "chart-value" }, `${number(r.value)}${unit}`));
    });
    return root;
  }

  // Groups of bars, one bar per series in each group, each series with its own fill pattern.
  // groups: [{label, values: {key: n}}]; series: [{key, label, fill: "solid" | "hatch" | "dots"}]
  function grouped(container, groups, series, { title, desc, unit = "" }) {
    const barHeight = 12;
    const gap = 3;
    const groupHeight = 22 + series.length * (barHeight + gap) + 10;
    const legendHeight = 30;
    const { root, width, id } = frame(container, legendHeight + groups.length * groupHeight + 4, title, desc);
    const fill = (s) => (s.fill === "hatch" ? `url(#${id}-hatch)` : s.fill === "dots" ? `url(#${id}-dots)` : null);
    let lx = 0;
    series.forEach((s) => {
      const label = svg("text", { x: lx + 24, y: 18, class: "chart-label" }, s.label);
      root.append(svg("rect", { x: lx, y: 6, width: 18, height: 14, class: `swatch series-${s.key}`, fill: fill(s) }), label);
      lx += 24 + textWidth(label, s.label) + 18;
    });
    const valueWidth = 104;
    const max = Math.max(1, ...groups.flatMap((g) => series.map((s) => Number(g.values[s.key] || 0))));
    const span = Math.max(width - valueWidth - 4, 40);
    groups.forEach((g, i) => {
      const y = legendHeight + i * groupHeight;
      root.append(svg("text", { x: 0, y: y + 14, class: "chart-label strong" }, g.label));
      series.forEach((s, j) => {
        const v = Number(g.values[s.key] || 0);
        const by = y + 20 + j * (barHeight + gap);
        if (!v) return; // nothing to draw; the table and the description say 0
        const w = Math.max((v / max) * span, 2);
        root.append(svg("rect", { x: 0, y: by, width: w, height: barHeight, class: `bar series-${s.key}`, fill: fill(s) }),
          svg("text", { x: w + 5, y: by + barHeight - 2, class: "chart-value small" }, `${number(v)}${unit} ${s.short || ""}`.trim()));
      });
    });
    return root;
  }

  const MARKERS = ["circle", "square", "diamond", "triangle", "cross", "circle-open", "square-open", "triangle-open"];
  const DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4", "12 2 2 2"];

  function marker(kind, x, y, cls) {
    const r = 4;
    switch (kind.replace("-open", "")) {
      case "square": return svg("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r, class: cls });
      case "diamond": return svg("path", { d: `M${x} ${y - r - 1}L${x + r + 1} ${y}L${x} ${y + r + 1}L${x - r - 1} ${y}Z`, class: cls });
      case "triangle": return svg("path", { d: `M${x} ${y - r - 1}L${x + r + 1} ${y + r}L${x - r - 1} ${y + r}Z`, class: cls });
      case "cross": return svg("path", { d: `M${x - r} ${y - r}L${x + r} ${y + r}M${x - r} ${y + r}L${x + r} ${y - r}`, class: `${cls} cross` });
      default: return svg("circle", { cx: x, cy: y, r, class: cls });
    }
  }

  // One line per series over the periods, each with its own dash and marker, named at its end and in a legend.
  // periods: ["2026-01-01", ...]; series: [{key, label, values: [n per period]}]
  function lines(container, periods, series, { title, desc, formatPeriod = (p) => p }) {
    const legendRows = Math.ceil(series.length / 2);
    const plotHeight = 190;
    const top = 14;
    const legendTop = top + plotHeight + 34;
    const { root, width } = frame(container, legendTop + legendRows * 22 + 6, title, desc);
    const left = 44;
    const right = 16;
    const plotWidth = Math.max(width - left - right, 60);
    const max = Math.max(1, ...series.flatMap((s) => s.values.map(Number)));
    const ticks = niceTicks(max);
    const yMax = ticks[ticks.length - 1];
    const x = (i) => left + (periods.length === 1 ? plotWidth / 2 : (i * plotWidth) / (periods.length - 1));
    const y = (v) => top + plotHeight - (Number(v) / yMax) * plotHeight;
    ticks.forEach((t) => root.append(
      svg("line", { x1: left, x2: left + plotWidth, y1: y(t), y2: y(t), class: "grid" }),
      svg("text", { x: left - 6, y: y(t) + 4, "text-anchor": "end", class: "chart-value small" }, number(t))));
    const every = Math.max(1, Math.ceil(periods.length / Math.max(2, Math.floor(plotWidth / 70))));
    periods.forEach((p, i) => {
      if (i % every && i !== periods.length - 1) return;
      root.append(svg("text", { x: x(i), y: top + plotHeight + 21, "text-anchor": "middle", class: "chart-value small" },
        formatPeriod(p)));
    });
    series.forEach((s, k) => {
      const cls = `series-line status-${s.key}`;
      const points = s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
      if (periods.length > 1) root.append(svg("polyline", { points, class: cls, "stroke-dasharray": DASHES[k % DASHES.length] || null }));
      const kind = MARKERS[k % MARKERS.length];
      s.values.forEach((v, i) => root.append(marker(kind, x(i), y(v), `${cls} marker${kind.endsWith("-open") ? " open" : ""}`)));
      const col = k % 2;
      const row = Math.floor(k / 2);
      const lxPos = col * Math.floor(width / 2);
      const ly = legendTop + row * 22;
      root.append(
        svg("line", { x1: lxPos, x2: lxPos + 26, y1: ly, y2: ly, class: cls, "stroke-dasharray": DASHES[k % DASHES.length] || null }),
        marker(kind, lxPos + 13, ly, `${cls} marker${kind.endsWith("-open") ? " open" : ""}`),
        svg("text", { x: lxPos + 32, y: ly + 4, class: "chart-label" }, `${s.label}: ${number(s.values[s.values.length - 1])}`));
    });
    return root;
  }

  function niceTicks(max) {
    const raw = max / 4;
    const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) || magnitude * 10;
    const out = [];
    for (let t = 0; t <= max + step * 0.999; t += step) out.push(Math.round(t * 100) / 100);
    return out.length > 1 ? out : [0, 1];
  }

  return { bars, grouped, lines };
})();
