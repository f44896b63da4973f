// SLA dashboard charts, drawn with Chart.js (served by cogest itself, see scripts/vendor-assets.sh).
// The figures come from the page's <script type="application/json" id="sla-chart-data"> (written
// by Django's json_script): no inline script, as the Content-Security-Policy requires. Every chart
// has its table one click away on the page, so nothing here is the only way to read a figure.
(function () {
  "use strict";

  const PALETTE = ["#2f5bd3", "#0f7b6c", "#7c3aed", "#b45309", "#0e7490", "#be185d", "#4b5563", "#65a30d"];

  function cssVar(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (value || fallback).trim();
  }

  function canvas(key) {
    return document.querySelector('canvas[data-chart="' + key + '"]');
  }

  function trendChart(data) {
    const el = canvas("trend");
    if (!el) return;
    if (!data.datasets.length && el.dataset.empty) {
      // Nothing concluded in the period: say so instead of drawing empty axes.
      const note = document.createElement("p");
      note.className = "sla-chart-empty";
      note.textContent = el.dataset.empty;
      el.replaceWith(note);
      return;
    }
    new Chart(el, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (set, i) {
          const colour = PALETTE[i % PALETTE.length];
          return {
            label: set.label,
            data: set.data,
            borderColor: colour,
            backgroundColor: colour,
            spanGaps: true,
            tension: 0.2,
            pointRadius: 3,
          };
        }),
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { min: 0, max: 100, title: { display: true, text: data.yLabel }, ticks: { callback: (v) => v + " %" } },
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: (ctx) => ctx.dataset.label + ": " + (ctx.parsed.y === null ? "—" : ctx.parsed.y + " %"),
            },
          },
        },
      },
    });
  }

  function barChart(key, data, colours) {
    const el = canvas(key);
    if (!el) return;
    new Chart(el, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (set) {
          return { label: set.label, data: set.data, backgroundColor: colours, borderRadius: 3 };
        }),
      },
      options: {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function init() {
    const source = document.getElementById("sla-chart-data");
    if (!source || typeof window.Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    Chart.defaults.animation = reduceMotion ? false : { duration: 250 };
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.color = cssVar("--cg-muted", "#5b6475");
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    trendChart(data.trend);
    // Priority keeps its one colour everywhere (P1 red, P2 orange, P3 blue, P4 grey).
    barChart("breaches", data.breaches, [
      cssVar("--cg-p1", "#c62828"),
      cssVar("--cg-p2", "#e67700"),
      cssVar("--cg-p3", "#1f6feb"),
      cssVar("--cg-p4", "#6b7280"),
    ]);
    barChart("backlog", data.backlog, cssVar("--cg-accent", "#2f5bd3"));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

// "Print" buttons (a KPI review prints on A4 as it is; see sla.css).
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
