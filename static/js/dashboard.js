// Draws the dashboard's two charts from the page's JSON (no inline script, no CDN).
(function () {
  var source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var percent = function (value) { return value === null ? "—" : value.toFixed(2) + "%"; };

  // A village has no child regions: its page has no bars, only the trend.
  var barsElement = document.getElementById("chart-counties");
  var bars = barsElement ? echarts.init(barsElement) : null;
  if (bars) {
    bars.setOption({
      tooltip: { trigger: "axis", valueFormatter: percent },
      grid: { left: 48, right: 16, bottom: 48 },
      xAxis: { type: "category", data: data.bars.names, axisLabel: { interval: 0, rotate: 30 } },
      // Always show the 2 % and 3 % (west) exit lines, even when every county is below them.
      yAxis: { type: "value", max: function (range) { return Math.max(Math.ceil(range.max), 3.5); }, axisLabel: { formatter: "{value}%" } },
      series: [{ type: "bar", data: data.bars.rates, markLine: { symbol: "none", data: [{ yAxis: 2, name: "2%" }, { yAxis: 3, name: "3%（西部）" }] } }]
    });
  }

  var trend = echarts.init(document.getElementById("chart-trend"));
  trend.setOption({
    tooltip: { trigger: "axis", valueFormatter: percent },
    grid: { left: 48, right: 16, bottom: 32 },
    xAxis: { type: "category", data: data.trend.years },
    yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
    series: [{ type: "line", data: data.trend.rates, showSymbol: true, symbolSize: 8 }]
  });
  window.addEventListener("resize", function () { if (bars) { bars.resize(); } trend.resize(); });
})();
