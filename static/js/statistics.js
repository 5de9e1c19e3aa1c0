// Draws the 统计分析 page's charts from its JSON (no inline script, no CDN): one chart per
// breakdown, the trend by year, and the child regions, whose bars open the same page for them.
(function () {
  "use strict";
  var source = document.getElementById("statistics-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    var chart = echarts.init(element);
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }

  // Long labels (致贫原因, 风险类型) read better as horizontal bars, largest at the top.
  function bars(names, values, series) {
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: names.slice().reverse(), axisLabel: { width: 160, overflow: "truncate" } },
      series: [{ name: series, type: "bar", data: values.slice().reverse(), label: { show: true, position: "right" } }]
    };
  }

  (data.breakdowns || []).forEach(function (breakdown) {
    draw("chart-" + breakdown.key, bars(breakdown.names, breakdown.values, breakdown.series));
  });

  if (data.children && data.children.names.length) {
    var children = draw("chart-children", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.children.names, axisLabel: { interval: 0, rotate: data.children.names.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.children.series.map(function (series) {
        return { name: series.name, type: "bar", data: series.values, cursor: "pointer" };
      })
    });
    if (children) {
      children.on("click", function (event) {
        var urls = data.children.urls;
        if (urls) { window.location.href = urls[event.dataIndex]; return; }
        var code = data.children.codes[event.dataIndex];
        window.location.search = "?region=" + encodeURIComponent(code) + "&year=" + encodeURIComponent(data.year);
      });
    }
  }

  draw("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.trend.years },
    yAxis: { type: "value", minInterval: 1 },
    series: data.trend.series.map(function (series) {
      return { name: series.name, type: "line", data: series.values, showSymbol: true, connectNulls: false };
    })
  });

  window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
})();
