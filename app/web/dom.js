// Small DOM helpers shared by the status and verification pages (no framework, no build step).
"use strict";

window.PeerCE = (() => {
  const $ = (id) => document.getElementById(id);

  // el("p", {class: "x", hidden: true}, "text", child, [more]) -> element; null/undefined/false are skipped.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // The page's live message box: errors are alerts, everything else a polite status.
  function say(parts, kind) {
    const box = $("message");
    const list = [].concat(parts || []).filter((part) => part !== "");
    box.replaceChildren(...list);
    box.className = `message ${kind || "info"}`;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.hidden = !list.length;
  }

  // A calendar date (YYYY-MM-DD, the board's date) as a <time>, never shifted by the browser's zone.
  function day(iso, month = "short") {
    if (!iso) return "—";
    const d = new Date(`${iso}T00:00:00Z`);
    return el("time", { datetime: iso },
      d.toLocaleDateString("en-US", { timeZone: "UTC", year: "numeric", month, day: "numeric" }));
  }

  // A date as plain words ("Nov 30, 2026"), for text.
  function dayText(iso, month = "short") {
    const d = new Date(`${iso}T00:00:00Z`);
    return d.toLocaleDateString("en-US", { timeZone: "UTC", year: "numeric", month, day: "numeric" });
  }

  // Hours with two decimals only where needed: 15.00 -> 15, 1.50 -> 1.5, 1.25 -> 1.25.
  const num = (n) => Number(n).toLocaleString("en-US", { maximumFractionDigits: 2 });

  // The engine's reasons, for people: plain dates, no trailing zeros, course titles instead of record ids.
  function plain(text, titles) {
    return String(text)
      .replace(/Completion #(\d+) \((.+?), (\d{4}-\d{2}-\d{2})\)/g, (_, id, title, iso) => `“${title}” (${iso})`)
      .replace(/Completion #(\d+) \((\d{4}-\d{2}-\d{2})\)/g,
        (_, id, iso) => (titles && titles[id] ? `“${titles[id]}” (${iso})` : `A course (${iso})`))
      .replace(/completion #(\d+)/g, (_, id) => (titles && titles[id] ? `“${titles[id]}”` : "another record"))
      .replace(/\b(\d{4}-\d{2}-\d{2})\b/g, (iso) => dayText(iso))
      .replace(/\b(\d+)\.(\d\d)\b/g, (_, whole, cents) => (cents === "00" ? whole : `${whole}.${cents.replace(/0$/, "")}`));
  }

  // Status icons as inline SVG: they draw the same in every browser, with or without symbol fonts.
  const ICONS = {
    check: "M4 10.5l4 4 8-9",
    clock: "M10 5v5l3 2",
    alert: "M10 5v6M10 14.5v.5",
    cross: "M6 6l8 8M14 6l-8 8",
    pause: "M8 6v8M12 6v8",
    stop: "M5 15L15 5",
    dash: "M6 10h8",
  };
  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    for (const [k, v] of Object.entries({ viewBox: "0 0 20 20", width: "18", height: "18", "aria-hidden": "true",
      focusable: "false", class: "icon", fill: "none", stroke: "currentColor", "stroke-width": "2.2",
      "stroke-linecap": "round", "stroke-linejoin": "round" })) svg.setAttribute(k, v);
    const ring = document.createElementNS(ns, "circle");
    ring.setAttribute("cx", "10"); ring.setAttribute("cy", "10"); ring.setAttribute("r", "8.2");
    ring.setAttribute("stroke-width", "1.6");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name] || ICONS.dash);
    svg.append(ring, path);
    return svg;
  }

  return { $, el, say, day, dayText, num, plain, icon };
})();
