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
      var cities = {};
      spec.points.forEach(function (p) { cities[p.code] = true; });
      // Every name is a label of a scatter series (the shapes' at their label points, `cp` of
      // the GeoJSON) so that ECharts' label layout sees them all at once: a label that would
      // overlap another is hidden (labelLayout.hideOverlap; the point's own label is kept
      // first) and comes back on hover, with the tooltip; the table lists every region.
      // Dark text on a light box, as a label often runs over a neighbouring shape.
      var text = { show: true, fontSize: 10, lineHeight: 12, color: "#1b1f24",
        backgroundColor: "rgba(255,255,255,.8)", padding: [1, 2], minMargin: 2 };
      var tip = function (p) {
        var place = p.componentType === "geo" ? byCode[p.name] : p.data && p.data.place;
        return place ? place.name + ": " + count(place) : "";
      };
      base.tooltip = { trigger: "item", formatter: tip };
      // The geo component's own tooltip (else it shows the shape's code, "almaty_region").
      base.geo = Object.assign(fit(spec, 8), {
        map: "kz", roam: false, tooltip: { show: true, formatter: tip },
        itemStyle: { borderColor: "#4a5360", borderWidth: 0.8 },
        emphasis: { itemStyle: { areaColor: "#ffd966" }, label: { show: false } },
        label: { show: false },
        regions: spec.regions.map(function (r) { return { name: r.code, itemStyle: { areaColor: fill(r) } }; })
      });
      var centres = spec.shapes.centres;
      // A label that would run off the chart (a point's label near the edge on a phone) is
      // moved back inside; then a label overlapping one already placed is hidden.
      var layout = function (p) {
        var r = p.labelRect, w = spec.width, h = spec.height;
        return { hideOverlap: true,
          dx: Math.max(0, 2 - r.x) + Math.min(0, w - 2 - r.x - r.width),
          dy: Math.max(0, 2 - r.y) + Math.min(0, h - 2 - r.y - r.height) };
      };
      base.series = [{
        type: "scatter", coordinateSystem: "geo", symbolSize: 14, labelLayout: layout,
        data: spec.points.map(function (p) {
          return { name: p.code, value: p.at, place: p, href: p.link,
            itemStyle: { color: fill(p), borderColor: "#1b1f24", borderWidth: 1 },
            label: Object.assign({ position: p.side, formatter: p.label + " " + count(p) }, text) };
        })
      }, {
        // The shapes' names: no symbol of their own, and mouse events go to the shape below.
        type: "scatter", coordinateSystem: "geo", symbolSize: 0, silent: true,
        labelLayout: layout,
        data: spec.regions.filter(function (r) { return !cities[r.code] && centres[r.code]; })
          .map(function (r) {
            return { name: r.code, value: centres[r.code], place: r,
              label: Object.assign({ position: "inside", formatter: r.label + "\n" + count(r) }, text) };
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

  function fit(spec, top) {
    // The map in the chart below `top` px at its own proportions, centred: ECharts' box layout
    // (left/right/top/bottom) would stretch it to the box, squeezing the country on a phone.
    var width = spec.width - 16, height = spec.height - top - 8;
    var size = Math.min(width, height * spec.shapes.aspect);
    return { layoutCenter: [spec.width / 2, top + height / 2], layoutSize: size };
  }

  var maps = {};  // map URL -> the promise of its registration (fetched once per page)
  function withMap(url) {
    if (!maps[url]) {
      maps[url] = fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (geo) {
          window.echarts.registerMap("kz", geo);
          var centres = {};  // each shape's label point (Natural Earth's, kz_regions.py)
          var lon = [Infinity, -Infinity], lat = [Infinity, -Infinity];
          geo.features.forEach(function (f) {
            centres[f.properties.name] = f.properties.cp;
            f.geometry.coordinates.forEach(function (shape) {
              shape[0].forEach(function (p) {
                lon = [Math.min(lon[0], p[0]), Math.max(lon[1], p[0])];
                lat = [Math.min(lat[0], p[1]), Math.max(lat[1], p[1])];
              });
            });
          });
          // Width over height as ECharts draws it (geo.aspectScale 0.75 by default).
          return { centres: centres, aspect: (lon[1] - lon[0]) / (lat[1] - lat[0]) * 0.75 };
        });
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
        withMap(spec.map).then(function (shapes) {
          spec.shapes = shapes;
          chart.setOption(option(spec));
          el.setAttribute("data-map", "drawn");
        });
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
          var room = spec.map ? { geo: fit(spec, 64) } : { grid: { top: 64 } };
          chart.setOption(Object.assign({ title: { show: true, subtext: spec.subtitle + " · " + spec.period } }, room));
          a.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
          chart.setOption(Object.assign({ title: { show: false } }, spec.map ? { geo: fit(spec, 8) } : { grid: { top: 32 } }));
          a.download = el.getAttribute("data-file") + ".png";
          document.body.appendChild(a);
          a.click();
          document.body.removeChild(a);
        });
      }
      window.addEventListener("resize", function () {
        chart.resize();
        if (spec.shapes) {  // the map refitted to the new size
          spec.width = el.clientWidth;
          spec.height = el.clientHeight;
          chart.setOption({ geo: fit(spec, 8) });
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(document); });
})();
