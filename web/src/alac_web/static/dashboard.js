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
    if (spec.kind === "map") {
      // Regions as shapes (geo component, map "kz" registered from the app's own GeoJSON),
      // newer regions and the two cities as points; a darker blue for more complaints. A
      // hidden (small) count is grey and says "hidden", never 0.
      var places = spec.regions.concat(spec.points);
      var max = Math.max.apply(null, places.map(function (p) { return p.value || 0; }).concat([1]));
      var byCode = {};
      spec.regions.forEach(function (r) { byCode[r.code] = r; });
      var count = function (p) { return p.value === null ? hidden : String(p.value); };
      var light = function (p) { return p.value === null ? null : Math.round(95 - (p.value / max) * 60); };
      var fill = function (p) { var l = light(p); return l === null ? "#c9ced6" : "hsl(211, 70%, " + l + "%)"; };
      var ink = function (p) { var l = light(p); return l !== null && l < 60 ? "#fff" : "#1b1f24"; };
      var cities = {};
      spec.points.forEach(function (p) { cities[p.code] = true; });
      base.tooltip = { trigger: "item", formatter: function (p) {
        var place = p.componentType === "geo" ? byCode[p.name] : p.data && p.data.place;
        return place ? place.name + ": " + count(place) : "";
      } };
      base.geo = {
        map: "kz", roam: false, top: 8, bottom: 8, left: 8, right: 8, tooltip: { show: true },
        itemStyle: { borderColor: "#4a5360", borderWidth: 0.8 },
        emphasis: { itemStyle: { areaColor: "#ffd966" }, label: { color: "#1b1f24" } },
        label: { show: true, fontSize: 10, lineHeight: 12, formatter: function (p) {
          var r = byCode[p.name];
          return r && !cities[r.code] ? r.label + "\n" + count(r) : "";
        } },
        regions: spec.regions.map(function (r) {
          return { name: r.code, itemStyle: { areaColor: fill(r) }, label: { color: ink(r) } };
        })
      };
      base.series = [{
        type: "scatter", coordinateSystem: "geo", symbolSize: 14, labelLayout: { hideOverlap: true },
        data: spec.points.map(function (p) {
          return { name: p.code, value: p.at, place: p, href: p.link,
            itemStyle: { color: fill(p), borderColor: "#1b1f24", borderWidth: 1 },
            label: { show: true, position: "right", fontSize: 10, color: "#1b1f24",
              backgroundColor: "rgba(255,255,255,.8)", padding: 2, formatter: p.label + " " + count(p) } };
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

  var maps = {};  // map URL -> the promise of its registration (fetched once per page)
  function withMap(url) {
    if (!maps[url]) {
      maps[url] = fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (geo) { window.echarts.registerMap("kz", geo); });
    }
    return maps[url];
  }

  function hrefOf(spec, p) {
    if (p.data && p.data.href) return p.data.href;
    if (p.componentType === "geo") {
      var region = spec.regions.filter(function (r) { return r.code === p.name; })[0];
      return region && region.link;
    }
    return null;
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
      if (spec.map) {
        withMap(spec.map).then(function () { chart.setOption(option(spec)); el.setAttribute("data-map", "drawn"); });
      } else {
        chart.setOption(option(spec));
      }
      chart.on("click", function (p) {
        var href = hrefOf(spec, p);
        if (href) window.location.search = "?" + href;  // the page again, with this filter
      });
      var card = el.closest(".card");
      var png = card && card.querySelector("[data-png]");
      if (png) {
        png.hidden = false;
        png.addEventListener("click", function () {
          var a = document.createElement("a");
          // The PNG stands alone: with the card's title, n and period drawn in.
          var room = spec.map ? { geo: { top: 64 } } : { grid: { top: 64 } };
          chart.setOption(Object.assign({ title: { show: true, subtext: spec.subtitle + " · " + spec.period } }, room));
          a.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
          chart.setOption(Object.assign({ title: { show: false } }, spec.map ? { geo: { top: 8 } } : { grid: { top: 32 } }));
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
