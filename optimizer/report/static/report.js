(function () {
  "use strict";
  var P = JSON.parse(document.getElementById("report-data").textContent);
  var M = P.map, W = P.words;
  var svg = document.getElementById("map");
  var NS = svg.namespaceURI;
  var zoomStyle = document.getElementById("zoom-style");
  var tip = document.getElementById("tip");
  var info = document.getElementById("info");
  var fnByKey = {};
  M.functions.forEach(function (f) { fnByKey[f.key] = f; });
  var view = {x: 0, y: 0, w: M.width, h: M.height};
  var current = M.functions.length ? M.functions[0].key : null;
  var pinned = null, hovered = null, lit = [];

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function fmt(n) { return n == null ? "–" : Math.round(n).toLocaleString(P.lang === "zh" ? "zh-CN" : "en-US"); }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c];
    });
  }

  // a polyline or ring sent as [x0, y0, dx1, dy1, ...] (whole metres), as an SVG path
  function pathOf(flat, close) {
    var d = "M" + flat[0] + " " + flat[1] + "l";
    for (var k = 2; k < flat.length; k += 2) { d += flat[k] + " " + flat[k + 1] + " "; }
    return close ? d + "z" : d;
  }

  // streets (the walk network), under everything
  var gStreets = el("g", {id: "streets"}, svg), streetPoints = 0;
  (function () {
    var S = M.streets || [], per = 400;
    for (var a = 0; a < S.length; a += per) {
      var d = "";
      for (var b = a; b < Math.min(S.length, a + per); b++) { d += pathOf(S[b], false); streetPoints += S[b].length / 2; }
      el("path", {d: d}, gStreets);
    }
  })();
  gStreets.setAttribute("data-points", String(streetPoints));

  // demand units
  var gUnits = el("g", {id: "units"}, svg);
  var U = M.units, n = U.x.length, dots = new Array(n);
  var frag = document.createDocumentFragment();
  for (var i = 0; i < n; i++) {
    dots[i] = el("circle", {cx: U.x[i], cy: U.y[i], r: 12, "class": "u", "data-i": i}, frag);
  }
  gUnits.appendChild(frag);
  function colourBy(key) {
    current = key;
    var st = U.status[key] || "";
    for (var i = 0; i < n; i++) {
      var cls = "u s" + st.charAt(i) + (dots[i].__hl ? " hl" : "");
      dots[i].setAttribute("class", cls);
    }
    var radio = document.querySelector('input[name="colour-by"][value="' + key + '"]');
    if (radio) { radio.checked = true; }
  }

  // life circles: outlines and names (proper nouns in the data's language, Chinese)
  var gCircles = el("g", {id: "circles", "data-source": M.outlines_source || "none"}, svg);
  var gOutlines = el("g", {"class": "outlines"}, gCircles), gNames = el("g", {"class": "names"}, gCircles);
  var circleName = {};
  (M.outlines || []).forEach(function (c) {
    circleName[c.id] = c.name;
    el("path", {d: c.rings.map(function (r) { return pathOf(r, true); }).join(""), "class": "outline",
                "data-circle": c.id}, gOutlines);
    var t = el("text", {x: c.x, y: c.y, "class": "cname", "data-circle": c.id}, gNames);
    if (c.name) {
      var nm = el("tspan", {"class": "proper", lang: "zh"}, t);
      nm.textContent = c.name;
      var idt = el("tspan", {x: c.x, dy: "1.15em", "class": "cid"}, t);
      idt.textContent = c.id;
    } else {
      t.textContent = c.id;
    }
  });

  // running facilities, per function
  var gEx = el("g", {id: "existing"}, svg), exGroups = {};
  M.functions.forEach(function (f) { exGroups[f.key] = el("g", {"data-f": f.key}, gEx); });
  M.existing.forEach(function (e) {
    var f = fnByKey[e[2]];
    if (!f) { return; }
    var g = el("g", {"class": "ex", transform: "translate(" + e[0] + "," + e[1] + ")", "data-name": e[3],
                     "data-f": e[2]}, exGroups[e[2]]);
    el("path", {d: P.symbols[f.symbol], "class": "sym small"}, g);
  });

  // new facilities (one marker per site and function), per function
  var gFac = el("g", {id: "facilities"}, svg), facGroups = {}, markers = [];
  M.functions.forEach(function (f) { facGroups[f.key] = el("g", {"data-f": f.key}, gFac); });
  M.facilities.forEach(function (s, j) {
    var f = fnByKey[s.f];
    var g = el("g", {"class": "fac site", transform: "translate(" + s.x + "," + s.y + ")", "data-site": s.site,
                     "data-f": s.f, "data-j": j}, facGroups[s.f]);
    var dx = (s.k - (s.m - 1) / 2) * 13;
    var inner = el("g", {"class": "sym"}, g);
    el("path", {d: P.symbols[f.symbol], fill: f.colour, transform: "translate(" + dx + ",0)"}, inner);
    markers.push(g);
  });

  // scale bar and north arrow: drawn in screen pixels at the corners of what is in view
  var gScale = el("g", {id: "scalebar"}, svg), gNorth = el("g", {id: "north"}, svg);
  el("rect", {"class": "bg", x: -6, y: -20, height: 30}, gScale);
  el("path", {"class": "bar"}, gScale);
  var scaleText = el("text", {y: -7, "text-anchor": "middle"}, gScale);
  el("circle", {"class": "bg", cx: 0, cy: -4, r: 17}, gNorth);
  el("path", {d: "M0 -18 L7 4 L0 -1 L-7 4 Z", "class": "arrow"}, gNorth);
  var northText = el("text", {y: 16, "text-anchor": "middle"}, gNorth);
  northText.textContent = W.north;
  var NICE = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
  function placeScaleAndNorth(box, upp) {
    var vx = view.x - (box.width * upp - view.w) / 2, vy = view.y - (box.height * upp - view.h) / 2;
    var metres = NICE[0];
    NICE.forEach(function (m) { if (m / upp <= 130) { metres = m; } });
    var px = metres / upp;
    gScale.setAttribute("transform", "translate(" + (vx + 16 * upp) + "," + (vy + (box.height - 14) * upp) +
                        ") scale(" + upp + ")");
    gScale.querySelector("rect").setAttribute("width", px + 12);
    gScale.querySelector(".bar").setAttribute("d", "M0 -4 V0 H" + px + " V-4");
    scaleText.setAttribute("x", px / 2);
    scaleText.textContent = metres >= 1000 ? (metres / 1000) + " " + W.km : metres + " " + W.m;
    gScale.setAttribute("data-metres", String(metres));
    gNorth.setAttribute("transform", "translate(" + (vx + (box.width - 30) * upp) + "," + (vy + 30 * upp) +
                        ") scale(" + upp + ")");
  }

  function applyView() {
    svg.setAttribute("viewBox", view.x + " " + view.y + " " + view.w + " " + view.h);
    var box = svg.getBoundingClientRect();
    var upp = Math.max(view.w / Math.max(box.width, 1), view.h / Math.max(box.height, 1));
    zoomStyle.textContent = "#map .u{r:" + (2.6 * upp).toFixed(3) + "px;stroke-width:" + (1.2 * upp).toFixed(3) +
      "px}#map .sym{transform:scale(" + upp.toFixed(4) + ")}#map .ex .sym{transform:scale(" +
      (0.75 * upp).toFixed(4) + ")}#map.focus .u.hl{r:" + (3.6 * upp).toFixed(3) + "px}" +
      "#map .cname{font-size:" + (12.5 * upp).toFixed(3) + "px;stroke-width:" + (3 * upp).toFixed(3) + "px}";
    if (box.width > 0 && box.height > 0) { placeScaleAndNorth(box, upp); }
  }
  function zoomAt(factor, cx, cy) {
    var nw = Math.min(M.width * 1.5, Math.max(M.width / 60, view.w * factor));
    var f = nw / view.w;
    view.x = cx - (cx - view.x) * f; view.y = cy - (cy - view.y) * f;
    view.w = nw; view.h = view.h * f;
    applyView();
  }
  function toMap(evt) {
    var box = svg.getBoundingClientRect();
    var s = Math.max(view.w / box.width, view.h / box.height);
    var ox = (box.width * s - view.w) / 2, oy = (box.height * s - view.h) / 2;
    return {x: view.x - ox + (evt.clientX - box.left) * s, y: view.y - oy + (evt.clientY - box.top) * s};
  }
  function resetView() {
    view = {x: 0, y: 0, w: M.width, h: M.height};
    applyView();
  }
  svg.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var p = toMap(evt);
    zoomAt(evt.deltaY > 0 ? 1.2 : 1 / 1.2, p.x, p.y);
  }, {passive: false});
  var drag = null;
  svg.addEventListener("pointerdown", function (evt) {
    if (evt.target.closest && evt.target.closest(".fac")) { return; }
    drag = {x: evt.clientX, y: evt.clientY, vx: view.x, vy: view.y, moved: false};
    svg.classList.add("dragging");
  });
  window.addEventListener("pointermove", function (evt) {
    if (!drag) { return; }
    var box = svg.getBoundingClientRect();
    var s = Math.max(view.w / box.width, view.h / box.height);
    if (Math.abs(evt.clientX - drag.x) + Math.abs(evt.clientY - drag.y) > 3) { drag.moved = true; }
    view.x = drag.vx - (evt.clientX - drag.x) * s; view.y = drag.vy - (evt.clientY - drag.y) * s;
    applyView();
  });
  window.addEventListener("pointerup", function () { drag = null; svg.classList.remove("dragging"); });
  function zoomCentre(factor) { zoomAt(factor, view.x + view.w / 2, view.y + view.h / 2); }
  document.getElementById("zoom-in").onclick = function () { zoomCentre(1 / 1.5); };
  document.getElementById("zoom-out").onclick = function () { zoomCentre(1.5); };
  document.getElementById("zoom-reset").onclick = resetView;
  document.getElementById("clear-focus").onclick = function () { pinned = null; focus(null); };

  // reach highlight
  function focus(j) {
    lit.forEach(function (i) { dots[i].__hl = false; });
    lit = [];
    markers.forEach(function (m) { m.classList.remove("on"); });
    if (j == null) {
      svg.classList.remove("focus");
      colourBy(current);
      showInfo(null);
      document.body.dataset.highlighted = "0";
      return;
    }
    var s = M.facilities[j];
    markers[j].classList.add("on");
    if (s.reach) {
      lit = s.reach.slice();
      lit.forEach(function (i) { dots[i].__hl = true; });
      svg.classList.add("focus");
    } else {
      svg.classList.remove("focus");
    }
    colourBy(s.f);
    showInfo(j);
    document.body.dataset.highlighted = String(lit.length);
  }
  function siteText(s) {
    var f = fnByKey[s.f];
    var rows = [[W.site, s.site], [W.kind, s.kind], [W.circle, s.circle], [W.area, s.area + " " + W.m2],
                [W.capacity, s.cap], [W.newly_covered_here, fmt(s.newly) + " (" + f.cohort_label + ")"]];
    if (s.reach) {
      var ppl = 0, col = U.people[f.cohort] || [];
      s.reach.forEach(function (i) { ppl += col[i] || 0; });
      rows.push([W.reach_of, s.reach.length + " " + W.units + ", " + fmt(ppl) + " " + f.cohort_label]);
    }
    return "<h3>" + esc(s.name || s.site) + " · " + esc(f.label) + "</h3><table>" + rows.map(function (r) {
      return "<tr><th>" + esc(r[0]) + "</th><td>" + esc(r[1]) + "</td></tr>";
    }).join("") + "</table>";
  }
  // the side panel while nothing is highlighted: the plan at a glance
  function summaryHtml() {
    var S = M.summary;
    if (!S) { return ""; }
    var rows = S.rows.map(function (r) {
      return "<tr><th>" + esc(r[0]) + "</th><td>" + esc(r[1]) + "</td></tr>";
    }).join("");
    var gains = S.gains.map(function (g) {
      return "<tr><th>" + esc(g.label) + " <small>(" + esc(g.cohort) + ")</small></th><td class=\"num\">" +
        esc(g["new"]) + "</td><td class=\"num\">" + esc(g.share) + "</td></tr>";
    }).join("");
    return "<div id=\"plan-summary\"><h3>" + esc(W.summary) + "</h3><table class=\"" +
      (S.proven ? "proven" : "not-proven") + "\">" + rows + "</table><h4>" + esc(W.gains) +
      "</h4><table><tr><th></th><th>" + esc(W["new"]) + "</th><th>" + esc(W.covered_after) + "</th></tr>" + gains + "</table></div>";
  }
  var infoDefault = summaryHtml() + info.innerHTML;
  function showInfo(j) { info.innerHTML = j == null ? infoDefault : siteText(M.facilities[j]); }
  showInfo(null);
  gFac.addEventListener("click", function (evt) {
    var g = evt.target.closest(".fac");
    if (!g) { return; }
    var j = +g.getAttribute("data-j");
    pinned = pinned === j ? null : j;
    focus(pinned);
  });
  gFac.addEventListener("mouseover", function (evt) {
    var g = evt.target.closest(".fac");
    if (!g) { return; }
    hovered = +g.getAttribute("data-j");
    if (pinned == null) { focus(hovered); }
  });
  gFac.addEventListener("mouseout", function (evt) {
    var g = evt.target.closest(".fac");
    if (!g) { return; }
    hovered = null;
    if (pinned == null) { focus(null); }
  });

  // tooltips
  svg.addEventListener("mousemove", function (evt) {
    var t = evt.target, html = null;
    var fac = t.closest && t.closest(".fac"), ex = t.closest && t.closest(".ex");
    if (fac) {
      var s = M.facilities[+fac.getAttribute("data-j")];
      html = "<b>" + esc(s.name || s.site) + "</b><br>" + esc(fnByKey[s.f].label) + " · " + esc(s.cap);
    } else if (ex) {
      html = "<b>" + esc(ex.getAttribute("data-name")) + "</b><br>" + esc(W.existing_facilities) + " · " +
        esc(fnByKey[ex.getAttribute("data-f")].label);
    } else if (t.classList && t.classList.contains("u")) {
      var i = +t.getAttribute("data-i"), f = fnByKey[current];
      var code = (U.status[current] || "").charAt(i);
      var st = {"0": W.status_unreached, "1": W.status_existing, "2": W.status_new}[code];
      var ppl = (U.people[f.cohort] || [])[i];
      var cid = M.circles[U.circle[i]] || "";
      html = "<b>" + esc(U.id[i]) + "</b> · " + esc(cid) + (circleName[cid] ? " " + esc(circleName[cid]) : "") +
        "<br>" + esc(f.label) +
        W.sep + esc(st) + "<br>" + esc(f.cohort_label) + W.sep + fmt(ppl);
    }
    if (html) {
      tip.innerHTML = html; tip.style.display = "block";
      tip.style.left = (evt.clientX + 14) + "px"; tip.style.top = (evt.clientY + 12) + "px";
    } else {
      tip.style.display = "none";
    }
  });
  svg.addEventListener("mouseleave", function () { tip.style.display = "none"; });

  // layer toggles
  document.querySelectorAll('input[name="colour-by"]').forEach(function (r) {
    r.addEventListener("change", function () { if (r.checked) { colourBy(r.value); } });
  });
  function syncLayers() {
    var showEx = document.getElementById("layer-existing").checked;
    document.querySelectorAll("input.layer-fn").forEach(function (b) {
      facGroups[b.value].classList.toggle("hidden", !b.checked);
      exGroups[b.value].classList.toggle("hidden", !(b.checked && showEx));
    });
    gUnits.classList.toggle("hidden", !document.getElementById("layer-units").checked);
    gStreets.classList.toggle("hidden", !document.getElementById("layer-streets").checked);
    gCircles.classList.toggle("hidden", !document.getElementById("layer-circles").checked);
  }
  // toggles for the base layers, beside the others
  (function () {
    var units = document.getElementById("layer-units");
    var where = units ? units.parentNode.parentNode : null;
    [["layer-streets", W.streets, (M.streets || []).length], ["layer-circles", W.circle_outlines,
                                                               (M.outlines || []).length]].forEach(function (t) {
      var label = document.createElement("label"), box = document.createElement("input");
      box.type = "checkbox"; box.id = t[0]; box.checked = t[2] > 0; box.disabled = !t[2];
      label.appendChild(box); label.appendChild(document.createTextNode(" " + t[1]));
      if (where) { where.appendChild(document.createTextNode(" ")); where.appendChild(label); }
      else { label.style.display = "none"; document.body.appendChild(label); }
    });
  })();
  var notes = document.getElementById("map-notes");
  if (notes) {  // a file name or a reader's message stands between backticks: shown as code, not as words
    (M.notes || []).join(" ").split("`").forEach(function (part, k) {
      if (k % 2) { var c = document.createElement("code"); c.textContent = part; notes.appendChild(c); }
      else { notes.appendChild(document.createTextNode(part)); }
    });
  }
  document.querySelectorAll("input.layer-fn, #layer-existing, #layer-units, #layer-streets, #layer-circles")
    .forEach(function (b) {
    b.addEventListener("change", syncLayers);
  });
  window.addEventListener("resize", applyView);
  window.addEventListener("beforeprint", applyView);
  window.addEventListener("afterprint", applyView);
  if (window.matchMedia) {  // the printed map is laid out anew: place the scale bar and north arrow for it
    var printing = window.matchMedia("print");
    if (printing.addEventListener) { printing.addEventListener("change", applyView); }
  }

  colourBy(current);
  applyView();
  syncLayers();
  // report.html#focus=SITE_ID:function opens with that facility's reach highlighted
  var m = /focus=([^&]+)/.exec(decodeURIComponent(location.hash || ""));
  if (m) {
    var parts = m[1].split(":");
    M.facilities.forEach(function (s, j) {
      if (pinned == null && s.site === parts[0] && (parts.length < 2 || s.f === parts[1])) { pinned = j; }
    });
    if (pinned != null) { focus(pinned); }
  }
  document.body.dataset.siteMarkers = String(markers.length);
  document.body.dataset.units = String(n);
  document.body.dataset.streetPoints = String(streetPoints);
  document.body.dataset.circleOutlines = String(gOutlines.childNodes.length);
  document.body.dataset.circleNames = String(gNames.childNodes.length);
  document.body.dataset.highlighted = String(lit.length);
  document.body.dataset.rendered = "yes";
})();
