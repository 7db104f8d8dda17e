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

  function applyView() {
    svg.setAttribute("viewBox", view.x + " " + view.y + " " + view.w + " " + view.h);
    var box = svg.getBoundingClientRect();
    var upp = Math.max(view.w / Math.max(box.width, 1), view.h / Math.max(box.height, 1));
    zoomStyle.textContent = "#map .u{r:" + (2.6 * upp).toFixed(3) + "px;stroke-width:" + (1.2 * upp).toFixed(3) +
      "px}#map .sym{transform:scale(" + upp.toFixed(4) + ")}#map .ex .sym{transform:scale(" +
      (0.75 * upp).toFixed(4) + ")}#map.focus .u.hl{r:" + (3.6 * upp).toFixed(3) + "px}";
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
  var infoDefault = info.innerHTML;
  function showInfo(j) { info.innerHTML = j == null ? infoDefault : siteText(M.facilities[j]); }
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
      html = "<b>" + esc(U.id[i]) + "</b> · " + esc(M.circles[U.circle[i]] || "") + "<br>" + esc(f.label) +
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
  }
  document.querySelectorAll("input.layer-fn, #layer-existing, #layer-units").forEach(function (b) {
    b.addEventListener("change", syncLayers);
  });
  window.addEventListener("resize", applyView);
  window.addEventListener("beforeprint", applyView);

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
  document.body.dataset.highlighted = String(lit.length);
  document.body.dataset.rendered = "yes";
})();
