/* The ratings dashboard: run the rollup in slices with a progress bar, then draw the trend charts from the
 * table's own numbers (null where the table shows "<10", so a chart never shows what the table hides). */
(function () {
  "use strict";

  function rollup() {
    var form = document.getElementById("rollup");
    if (!form || !window.fetch) return;
    var bar = form.querySelector("progress");
    var text = form.querySelector(".rollup-text");
    var button = form.querySelector("button");
    var total = Number(form.getAttribute("data-waiting"));

    async function step() {
      var body = new FormData();
      body.append("csrf_token", form.elements.csrf_token.value);
      var response = await fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }
      });
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }

    async function run() {
      button.disabled = true;
      bar.hidden = false;
      try {
        for (;;) {
          var result = await step();
          var done = Math.max(total - result.remaining, 0);
          bar.value = done;
          text.textContent = done + " / " + total;
          if (result.remaining === 0 || result.counted === 0) break;
        }
        text.textContent = form.getAttribute("data-done");
        window.location.reload();
      } catch (e) {
        text.textContent = form.getAttribute("data-failed");
        button.disabled = false;
      }
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
    run();  // an officer on this page is what the rollup waits for: start at once
  }

  function charts() {
    var holder = document.getElementById("charts");
    var source = document.getElementById("rating-chart-data");
    if (!holder || !source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    holder.hidden = false;
    var own = "#8f1d14", other = "#6b7a8a";
    // Months as "11月" under a year change only, never rotated: twelve labels fit a quarter-width chart.
    var xAxis = { ticks: { maxRotation: 0, autoSkip: true, callback: function (value, index) {
      var label = data.months[index];
      return index === 0 || label.slice(5) === "01" ? label : Number(label.slice(5)) + "月";
    } } };
    new Chart(document.getElementById("chart-counts"), {
      type: "bar",
      data: { labels: data.months, datasets: [{ label: data.countLabel, data: data.counts, backgroundColor: own }] },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } },
                 scales: { x: xAxis, y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    data.questions.forEach(function (q, i) {
      var sets = [{ label: data.scope, data: q.own, borderColor: own, backgroundColor: own, spanGaps: false }];
      if (q.hospital) {
        sets.push({ label: data.hospital, data: q.hospital, borderColor: other, backgroundColor: other,
                    borderDash: [4, 3] });
      }
      new Chart(document.getElementById("chart-q" + i), {
        type: "line",
        data: { labels: data.months, datasets: sets },
        options: {
          animation: false, maintainAspectRatio: false,
          plugins: { legend: { display: Boolean(q.hospital), position: "bottom" },
                     tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + c.formattedValue + "%"; } } } },
          scales: { x: xAxis, y: { min: 0, max: 100, ticks: { stepSize: 25, callback: function (v) { return v + "%"; } } } }
        }
      });
    });
  }

  rollup();
  charts();
})();
