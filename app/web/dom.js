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

  return { $, el, say, day };
})();
