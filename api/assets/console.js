// The console's own script: confirmations, charts drawn from the data the page carries, and live
// figures from a Server-Sent Events stream. No inline script anywhere (the pages' CSP forbids it).
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // A chart's data is JSON in its data-chart attribute: {kind, x, series: [{name, data}]}.
  function option(spec) {
    // No animation: a picture staff read at once, and one the monitor redraws every second.
    if (spec.kind === "pie") {
      return {
        animation: false,
        tooltip: { trigger: "item" },
        legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["35%", "65%"], data: spec.series[0].data }]
      };
    }
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 56, right: 24, top: 24, bottom: 56, containLabel: true },
      // Long names (unions) lean so that each keeps its place under its bar.
      xAxis: { type: "category", data: spec.x, axisLabel: { rotate: spec.x.length > 6 ? 30 : 0, hideOverlap: true } },
      yAxis: { type: "value" },
      series: spec.series.map(function (s) {
        return { name: s.name, type: spec.kind, data: s.data, smooth: spec.kind === "line", showSymbol: false };
      })
    };
  }

  var charts = [];
  function draw(root) {
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (!window.echarts) { return; }
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
      chart.setOption(option(JSON.parse(el.getAttribute("data-chart"))), true);
      charts.push(chart);
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  // Live figures: each event is a JSON object; [data-field=name] elements show its members, and a
  // [data-live-chart] keeps the last two minutes of `series` (name → number) against `at`.
  function monitor(el) {
    var source = new EventSource(el.getAttribute("data-monitor"));
    var chartEl = el.querySelector("[data-live-chart]");
    var chart = chartEl && window.echarts ? window.echarts.init(chartEl) : null;
    if (chart) { charts.push(chart); }
    var x = [], lines = {};
    source.onmessage = function (message) {
      var data = JSON.parse(message.data);
      el.querySelectorAll("[data-field]").forEach(function (field) {
        var value = data[field.getAttribute("data-field")];
        if (value !== undefined && value !== null) { field.textContent = String(value); }
      });
      el.setAttribute("data-updated", data.at || "");
      var reasons = el.querySelector("[data-refusals]");
      if (reasons && data.refusals) {
        while (reasons.firstChild) { reasons.removeChild(reasons.firstChild); }
        Object.keys(data.refusals).forEach(function (code) {
          var row = document.createElement("tr");
          var name = document.createElement("td");
          var count = document.createElement("td");
          name.textContent = code;
          count.textContent = String(data.refusals[code]);
          count.className = "num";
          row.setAttribute("data-reason", code);
          row.appendChild(name);
          row.appendChild(count);
          reasons.appendChild(row);
        });
      }
      if (chart && data.series) {
        x.push(data.at ? data.at.slice(11, 19) : String(x.length));
        Object.keys(data.series).forEach(function (name) {
          if (!lines[name]) { lines[name] = new Array(x.length - 1).fill(0); }
        });
        Object.keys(lines).forEach(function (name) { lines[name].push(data.series[name] || 0); });
        if (x.length > 120) { x.shift(); Object.keys(lines).forEach(function (n) { lines[n].shift(); }); }
        chart.setOption(option({ kind: "line", x: x, series: Object.keys(lines).map(function (n) {
          return { name: n, data: lines[n] };
        }) }), true);
      }
    };
    source.onerror = function () { el.setAttribute("data-state", "reconnecting"); };
    source.onopen = function () { el.setAttribute("data-state", "open"); };
  }

  // A file upload with its progress: the file goes as the request's body, with its type and the
  // session's token; the answer is an import job, whose state then replaces itself until done.
  function upload(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = form.querySelector("input[type=file]").files[0];
      if (!file) { return; }
      var bar = form.querySelector("[data-upload-progress]");
      var status = document.querySelector("[data-import-status]");
      var dry = form.querySelector("input[name=dry_run]");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-upload") + (dry && dry.checked ? "?dry_run=true" : ""));
      var xlsx = /\.xlsx$/i.test(file.name);
      xhr.setRequestHeader("Content-Type", xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv");
      xhr.setRequestHeader("X-CSRF-Token", JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]);
      xhr.upload.onprogress = function (e) { if (e.lengthComputable && bar) { bar.value = Math.round(100 * e.loaded / e.total); } };
      xhr.onload = function () {
        if (bar) { bar.value = 100; }
        var job = null;
        try { job = JSON.parse(xhr.responseText); } catch (ignored) { job = null; }
        if (xhr.status === 202 && job && job.id) {
          var next = document.createElement("div");
          next.setAttribute("hx-get", "/console/imports/" + job.id);
          next.setAttribute("hx-trigger", "load");
          next.setAttribute("hx-swap", "outerHTML");
          while (status.firstChild) { status.removeChild(status.firstChild); }
          status.appendChild(next);
          window.htmx.process(next);
        } else {
          var message = document.createElement("p");
          message.className = "flash error";
          message.setAttribute("role", "alert");
          message.textContent = (job && (job.message || job.title)) || ("HTTP " + xhr.status);
          while (status.firstChild) { status.removeChild(status.firstChild); }
          status.appendChild(message);
        }
      };
      xhr.send(file);
    });
  }

  // A coordinate picker: Suzhou on a grid of degrees, its towns as landmarks, the merchant's stores
  // as grey dots; a click sets the form's latitude and longitude, typing them moves the red dot.
  var SUZHOU = { west: 119.9, east: 121.35, south: 30.75, north: 32.05 };
  var LANDMARKS = [
    ["姑苏", 31.3107, 120.6237], ["园区", 31.3197, 120.7195], ["昆山", 31.3856, 120.9808],
    ["常熟", 31.6539, 120.7522], ["张家港", 31.8756, 120.5556], ["太仓", 31.4571, 121.1303],
    ["吴江", 31.1386, 120.6453], ["吴中", 31.2623, 120.6322], ["相城", 31.3693, 120.6423]
  ];
  function picker(el) {
    var form = el.closest("form");
    var lat = form.querySelector("input[name=lat]");
    var lng = form.querySelector("input[name=lng]");
    var preview = form.querySelector("[data-picker-preview]");
    var english = document.documentElement.lang === "en";
    var W = 400, H = 420, ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    function x(v) { return (v - SUZHOU.west) / (SUZHOU.east - SUZHOU.west) * W; }
    function y(v) { return (SUZHOU.north - v) / (SUZHOU.north - SUZHOU.south) * H; }
    function add(name, attrs, text) {
      var node = document.createElementNS(ns, name);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      if (text) { node.textContent = text; }
      svg.appendChild(node);
      return node;
    }
    add("rect", { x: 0, y: 0, width: W, height: H, "class": "picker-sea" });
    // Grid lines every 0.1°, labelled every 0.5°: counted in tenths so 31.5 is 31.5, not 31.499….
    for (var t = Math.ceil(SUZHOU.west * 10); t <= Math.floor(SUZHOU.east * 10); t++) {
      add("line", { x1: x(t / 10), y1: 0, x2: x(t / 10), y2: H, "class": t % 5 === 0 ? "picker-major" : "picker-minor" });
      if (t % 5 === 0) { add("text", { x: x(t / 10) + 2, y: H - 4, "class": "picker-axis" }, (t / 10).toFixed(1) + "°E"); }
    }
    for (var u = Math.ceil(SUZHOU.south * 10); u <= Math.floor(SUZHOU.north * 10); u++) {
      add("line", { x1: 0, y1: y(u / 10), x2: W, y2: y(u / 10), "class": u % 5 === 0 ? "picker-major" : "picker-minor" });
      if (u % 5 === 0) { add("text", { x: 2, y: y(u / 10) - 2, "class": "picker-axis" }, (u / 10).toFixed(1) + "°N"); }
    }
    LANDMARKS.forEach(function (p) {
      add("circle", { cx: x(p[2]), cy: y(p[1]), r: 2, "class": "picker-town" });
      add("text", { x: x(p[2]) + 4, y: y(p[1]) + 4, "class": "picker-label" }, p[0]);
    });
    JSON.parse(el.getAttribute("data-placed") || "[]").forEach(function (s) {
      var dot = add("circle", { cx: x(s[1]), cy: y(s[0]), r: 4, "class": "picker-store" });
      var title = document.createElementNS(ns, "title");
      title.textContent = s[2];
      dot.appendChild(title);
    });
    var marker = add("circle", { r: 6, "class": "picker-marker", visibility: "hidden" });
    el.appendChild(svg);
    function show() {
      var a = parseFloat(lat.value), o = parseFloat(lng.value);
      if (isNaN(a) || isNaN(o)) { marker.setAttribute("visibility", "hidden"); preview.textContent = ""; return; }
      marker.setAttribute("cx", x(o));
      marker.setAttribute("cy", y(a));
      marker.setAttribute("visibility", "visible");
      var inside = a >= SUZHOU.south && a <= SUZHOU.north && o >= SUZHOU.west && o <= SUZHOU.east;
      var nearest = LANDMARKS.reduce(function (best, p) {
        var km = Math.sqrt(Math.pow((p[1] - a) * 111.2, 2) + Math.pow((p[2] - o) * 111.2 * Math.cos(a * Math.PI / 180), 2));
        return !best || km < best[1] ? [p[0], km] : best;
      }, null);
      preview.textContent = (english ? "Lat " : "纬度 ") + a.toFixed(6) + (english ? ", lng " : "，经度 ") + o.toFixed(6) +
        (inside ? (english ? " · " + nearest[1].toFixed(1) + " km from " + nearest[0] : " · 距" + nearest[0] + " " + nearest[1].toFixed(1) + " 公里")
                : (english ? " · outside Suzhou" : " · 不在苏州市范围内"));
    }
    svg.addEventListener("click", function (event) {
      var point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      var p = point.matrixTransform(svg.getScreenCTM().inverse());
      lat.value = (SUZHOU.north - p.y / H * (SUZHOU.north - SUZHOU.south)).toFixed(6);
      lng.value = (SUZHOU.west + p.x / W * (SUZHOU.east - SUZHOU.west)).toFixed(6);
      show();
    });
    lat.addEventListener("input", show);
    lng.addEventListener("input", show);
    show();
  }

  function start(root) {
    root.querySelectorAll("form[data-upload]").forEach(upload);
    draw(root);
    root.querySelectorAll("[data-monitor]").forEach(monitor);
    root.querySelectorAll("[data-picker]").forEach(picker);
  }
  document.addEventListener("DOMContentLoaded", function () { start(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
