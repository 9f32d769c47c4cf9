// Charts of the moderators' report page (analytics/report.html).
// Reads its data from <script type="application/json" id="report-data"> (json_script):
// no inline script, no eval — works under the strict CSP (script-src 'self').
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("report-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var months = document.getElementById("chart-months");
    if (months) {
      new window.Chart(months, {
        data: {
          labels: data.months,
          datasets: [
            {type: "bar", label: data.labels.value, data: data.value, yAxisID: "y",
             backgroundColor: "rgba(31, 111, 80, 0.7)", order: 2},
            {type: "line", label: data.labels.exchanged, data: data.exchanged, yAxisID: "y1",
             borderColor: "#c05621", backgroundColor: "#c05621", tension: 0.2, order: 1},
          ],
        },
        options: {
          responsive: true,
          animation: false,
          scales: {
            y: {beginAtZero: true, position: "left", title: {display: true, text: "€"}},
            y1: {beginAtZero: true, position: "right", grid: {drawOnChartArea: false},
                 ticks: {precision: 0}},
          },
        },
      });
    }
    var destinations = document.getElementById("chart-destinations");
    if (destinations) {
      new window.Chart(destinations, {
        type: "doughnut",
        data: {
          labels: data.destinations,
          datasets: [{data: data.destination_quantities,
                      backgroundColor: ["#1f6f50", "#2b6cb0", "#805ad5", "#c05621",
                                        "#718096", "#a0aec0"]}],
        },
        options: {responsive: true, animation: false, aspectRatio: 2},
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
