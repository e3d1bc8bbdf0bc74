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
    if (spec.kind === "pie") {
      return {
        tooltip: { trigger: "item" },
        legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["35%", "65%"], data: spec.series[0].data }]
      };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 56, right: 24, top: 24, bottom: 56 },
      xAxis: { type: "category", data: spec.x },
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

  function start(root) {
    root.querySelectorAll("form[data-upload]").forEach(upload);
    draw(root);
    root.querySelectorAll("[data-monitor]").forEach(monitor);
  }
  document.addEventListener("DOMContentLoaded", function () { start(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
