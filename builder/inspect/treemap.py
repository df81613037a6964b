"""The treemap script of the HTML report, inline in the page (no file, no CDN, no network).

A zoomable squarified treemap (Bruls, Huizing and van Wijk, "Squarified Treemaps", 2000) of the
layer: package -> folder -> file. Clicking a box zooms into it; the path above it zooms back out.
"""

from __future__ import annotations

# The tree comes from the JSON block #tree as [name, bytes, [children] or 0], children largest first.
SCRIPT = r"""
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var root = JSON.parse(document.getElementById("tree").textContent);
  var box = document.getElementById("treemap");
  var crumbs = document.getElementById("crumbs");
  var path = [root], hues = [0];

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function mb(bytes) { return (bytes / 1e6).toFixed(1) + " MB"; }
  // The worst aspect ratio in a row laid along a side of length `side`: the squarified criterion.
  function worst(row, side) {
    var sum = 0, max = 0, min = Infinity;
    row.forEach(function (r) { sum += r.a; max = Math.max(max, r.a); min = Math.min(min, r.a); });
    return Math.max(side * side * max / (sum * sum), (sum * sum) / (side * side * min));
  }
  function squarify(nodes, x, y, w, h) {
    var total = 0, out = [];
    nodes.forEach(function (n) { total += n[1]; });
    if (total <= 0 || w <= 0 || h <= 0) return out;
    var items = nodes.filter(function (n) { return n[1] > 0; })
      .map(function (n) { return { n: n, a: n[1] * w * h / total }; });
    while (items.length) {
      var side = Math.min(w, h), row = [items.shift()];
      while (items.length && worst(row.concat([items[0]]), side) <= worst(row, side)) row.push(items.shift());
      var area = row.reduce(function (s, r) { return s + r.a; }, 0);
      if (w >= h) {  // a column along the left edge
        var cw = area / h, cy = y;
        row.forEach(function (r) { out.push({ n: r.n, x: x, y: cy, w: cw, h: r.a / cw }); cy += r.a / cw; });
        x += cw; w -= cw;
      } else {  // a row along the top edge
        var ch = area / w, cx = x;
        row.forEach(function (r) { out.push({ n: r.n, x: cx, y: y, w: r.a / ch, h: ch }); cx += r.a / ch; });
        y += ch; h -= ch;
      }
    }
    return out;
  }
  function label(text, width) {
    var fits = Math.floor(width / 7);
    return text.length <= fits ? text : text.slice(0, Math.max(fits - 1, 0)) + "…";
  }
  // Up to three levels below a box, drawn inside it, so the structure shows before a click.
  // The first level below gets labels, drawn last so the deeper boxes do not cover them.
  function nest(parent, nodes, x, y, w, h, hue, depth, labels) {
    squarify(nodes, x, y, w, h).forEach(function (c) {
      el("rect", { x: c.x, y: c.y, width: c.w, height: c.h, fill: "hsl(" + hue + ",50%," + (62 + 8 * depth) + "%)",
                   stroke: "hsl(" + hue + ",45%,45%)", "stroke-width": 0.6 }, parent);
      if (depth === 1 && c.w > 60 && c.h > 18) labels.push(c);
      if (c.n[2] && depth < 3 && c.w > 12 && c.h > 12) nest(parent, c.n[2], c.x + 2, c.y + 2, c.w - 4, c.h - 4, hue, depth + 1, labels);
    });
  }
  function draw() {
    var node = path[path.length - 1], W = box.clientWidth, H = box.clientHeight;
    box.textContent = "";
    var svg = el("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img" }, box);
    var kids = node[2] || [[node[0], node[1], 0]];
    squarify(kids, 0, 0, W, H).forEach(function (r, i) {
      var hue = path.length === 1 ? hueOf(i) : hues[hues.length - 1];
      var g = el("g", { "class": r.n[2] ? "zoom" : "leaf" }, svg);
      el("title", {}, g).textContent = r.n[0] + ": " + r.n[1].toLocaleString("en") + " bytes";
      el("rect", { x: r.x, y: r.y, width: r.w, height: r.h, fill: "hsl(" + hue + ",55%,58%)",
                   stroke: "#fff", "stroke-width": 1.5 }, g);
      var labels = [];
      if (r.n[2] && r.w > 24 && r.h > 30) nest(g, r.n[2], r.x + 3, r.y + 18, r.w - 6, r.h - 21, hue, 1, labels);
      labels.forEach(function (c) {
        el("text", { x: c.x + 4, y: c.y + 13, "class": "sub" }, g).textContent = label(c.n[0] + "  " + mb(c.n[1]), c.w - 8);
      });
      if (r.w > 40 && r.h > 15) {
        el("text", { x: r.x + 4, y: r.y + 13, "class": "name" }, g).textContent = label(r.n[0] + "  " + mb(r.n[1]), r.w - 8);
      }
      if (r.n[2]) g.addEventListener("click", function () { go(path.concat([r.n])); });
    });
    crumbs.textContent = "";
    path.forEach(function (n, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = n[0] + " (" + mb(n[1]) + ")";
      button.disabled = i === path.length - 1;
      button.addEventListener("click", function () { go(path.slice(0, i + 1)); });
      crumbs.appendChild(button);
    });
    var at = svg.getBoundingClientRect();  // where it is drawn, for anyone checking the rendering
    box.setAttribute("data-box", [at.left + window.scrollX, at.top + window.scrollY, at.width, at.height]
      .map(Math.round).join(","));
  }
  // The zoomed path lives in the address (#scipy/scipy.libs%2F), so it can be linked and Back works.
  function go(nodes) {
    location.hash = nodes.slice(1).map(function (n) { return encodeURIComponent(n[0]); }).join("/");
  }
  function fromHash() {
    path = [root]; hues = [0];
    var parts = location.hash.slice(1).split("/").filter(Boolean);
    for (var p = 0; p < parts.length; p++) {
      var kids = path[path.length - 1][2] || [], name = decodeURIComponent(parts[p]);
      var i = kids.findIndex(function (n) { return n[0] === name; });
      if (i < 0 || !kids[i][2]) break;  // a stale link: stay at the deepest box that exists
      hues.push(path.length === 1 ? hueOf(i) : hues[hues.length - 1]);
      path.push(kids[i]);
    }
    draw();
  }
  function hueOf(index) { return (index * 137.508 + 200) % 360; }
  window.addEventListener("resize", draw);
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
"""
