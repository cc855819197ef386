// Draws a score trend from the JSON the page put in <script type="application/json"
// id="trend-data">: [{"date": "2026-11-02", "score": 12, "band": "Moderate"}, ...].
// The table beside the chart carries the same numbers for screen readers and print.
(function () {
  "use strict";
  var source = document.getElementById("trend-data");
  var canvas = document.getElementById("trend-chart");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var points = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: points.map(function (p) { return p.date; }),
      datasets: [{
        label: canvas.dataset.label,
        data: points.map(function (p) { return p.score; }),
        tension: 0.2,
      }],
    },
    options: {
      animation: false,
      scales: { y: { beginAtZero: true, suggestedMax: Number(canvas.dataset.max) } },
      plugins: { legend: { display: false } },
    },
  });
})();
