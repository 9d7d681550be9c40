// Draws the dashboard's cards with Apache ECharts (served by this app, /vendor/echarts.min.js).
// Each card arrives on its own htmx request; its figures come in data-chart (JSON). Without
// this script the card's table (with the same cross-filter links) and its CSV/XLSX remain.
(function () {
  "use strict";
  var PALETTE = ["#0b5cad", "#8a4baf", "#b35900", "#1b7f3b", "#b00020", "#4a5360", "#00838f"];

  function option(spec) {
    // The title is the card's heading on screen; it is drawn into the chart only for PNG.
    var title = { show: false, text: spec.title, subtext: spec.subtitle, left: 0, textStyle: { fontSize: 14 } };
    var hidden = spec.hidden;
    var base = { animation: false, color: PALETTE, title: title, tooltip: { trigger: "item" },
      grid: { left: 8, right: 32, top: 32, bottom: 8, containLabel: true } };
    function bar(values) {
      // A hidden (small) cell is drawn as an empty bar labelled "hidden", never as 0.
      return values.map(function (v, i) {
        return v === null ? { value: 0, hiddenCell: true, label: { show: true, formatter: hidden } }
          : { value: v, href: spec.links[i] };
      });
    }
    if (spec.kind === "line") {
      base.tooltip = { trigger: "axis" };
      base.legend = { top: 30, right: 0 };
      base.xAxis = { type: "category", data: spec.labels };
      base.yAxis = { type: "value", minInterval: 1 };
      base.series = [
        { name: spec.names[0], type: "line", data: spec.values },
        { name: spec.names[1], type: "line", data: spec.previous, lineStyle: { type: "dashed" } }
      ];
      return base;
    }
    if (spec.kind === "compare") {
      base.xAxis = { type: "category", data: spec.labels };
      base.yAxis = { type: "value", minInterval: 1 };
      base.series = [{ type: "bar", data: bar(spec.values), label: { show: true, position: "top" } }];
      return base;
    }
    if (spec.kind === "multi-line") {
      base.tooltip = { trigger: "axis" };
      base.legend = { top: 30, right: 0 };
      base.xAxis = { type: "category", data: spec.labels };
      base.yAxis = { type: "value", minInterval: 1 };
      base.series = spec.series.map(function (s) { return { name: s.name, type: "line", data: s.values, connectNulls: false }; });
      return base;
    }
    if (spec.kind === "grouped") {
      base.tooltip = { trigger: "axis", axisPointer: { type: "shadow" } };
      base.legend = { top: 30, right: 0 };
      base.yAxis = { type: "category", data: spec.labels.slice().reverse(), axisLabel: { width: 150, overflow: "break", lineHeight: 14 } };
      base.xAxis = { type: "value", minInterval: 1 };
      base.series = spec.series.map(function (s) {
        return { name: s.name, type: "bar", data: bar(s.values.slice().reverse()) };
      });
      return base;
    }
    if (spec.kind === "tiles") {
      var max = Math.max.apply(null, spec.tiles.map(function (t) { return t.value || 0; }).concat([1]));
      base.tooltip = { trigger: "item", formatter: function (p) { return p.data.name + ": " + (p.data.count === null ? hidden : p.data.count); } };
      base.grid = { left: 8, right: 8, top: 8, bottom: 8 };
      var tile = [Math.max(44, spec.width / 6.4), Math.max(40, spec.height / 6.4)];
      base.xAxis = { type: "value", min: -0.5, max: 5.5, show: false };
      base.yAxis = { type: "value", min: -0.5, max: 5.5, inverse: true, show: false };
      base.series = [{
        type: "scatter", symbol: "roundRect", symbolSize: tile,
        data: spec.tiles.map(function (t) {
          var share = (t.value || 0) / max;
          var light = Math.round(95 - share * 60);
          return { value: [t.x, t.y], name: t.name, count: t.value, href: t.link,
            itemStyle: { color: "hsl(211, 70%, " + light + "%)", borderColor: "#4a5360", borderWidth: 1 },
            label: { show: true, color: light < 60 ? "#fff" : "#1b1f24", fontSize: 10, lineHeight: 12,
              width: tile[0] - 6, overflow: "break",
              formatter: t.label + "\n" + (t.value === null ? hidden : t.value) } };
        })
      }];
      return base;
    }
    // bar: values ranked, the largest at the top
    base.yAxis = { type: "category", data: spec.labels.slice().reverse(), axisLabel: { width: 150, overflow: "break", lineHeight: 14 } };
    base.xAxis = { type: "value", minInterval: 1 };
    base.series = [{ type: "bar", data: bar(spec.values).reverse(), label: { show: true, position: "right" } }];
    return base;
  }

  function draw(root) {
    if (!window.echarts) return;
    (root || document).querySelectorAll(".chart[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-drawn")) return;
      el.setAttribute("data-drawn", "1");
      var spec = JSON.parse(el.getAttribute("data-chart"));
      spec.width = el.clientWidth;
      spec.height = el.clientHeight;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(spec));
      chart.on("click", function (p) {
        var href = p.data && p.data.href;
        if (href) window.location.search = "?" + href;  // the page again, with this filter
      });
      var card = el.closest(".card");
      var png = card && card.querySelector("[data-png]");
      if (png) {
        png.hidden = false;
        png.addEventListener("click", function () {
          var a = document.createElement("a");
          // The PNG stands alone: with the card's title, n and period drawn in.
          chart.setOption({ title: { show: true, subtext: spec.subtitle + " · " + spec.period }, grid: { top: 64 } });
          a.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
          chart.setOption({ title: { show: false }, grid: { top: spec.kind === "tiles" ? 8 : 32 } });
          a.download = el.getAttribute("data-file") + ".png";
          document.body.appendChild(a);
          a.click();
          document.body.removeChild(a);
        });
      }
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(document); });
})();
