// Ticket pages: keyboard shortcuts (c, j, k, Enter), bulk selection, the list's sort and status
// filter, the priority preview, the affected-CIs search, and htmx swaps of forms answered with
// 400 (inline errors).
// Loaded on every page with the top bar; no inline scripts anywhere (CSP).
(function () {
  "use strict";

  function typing(target) {
    const tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  // A form answered "400 Bad Request" carries its inline errors: show them in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // --- Keyboard: c creates, j/k move in the ticket list, Enter opens -------------------------
  let current = -1;

  function rows() {
    return Array.from(document.querySelectorAll("[data-ticket-table] tbody tr[data-row]"));
  }

  function highlight(index) {
    const all = rows();
    if (!all.length) {
      return;
    }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) {
      row.classList.toggle("is-current", i === current);
      if (i === current) {
        row.setAttribute("aria-current", "true");
      } else {
        row.removeAttribute("aria-current");
      }
    });
    all[current].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    if (event.key === "c") {
      const create = document.querySelector("[data-shortcut-create]");
      if (create) {
        event.preventDefault();
        window.location.assign(create.getAttribute("href"));
      }
    } else if (event.key === "j" || event.key === "k") {
      if (!rows().length) {
        return;
      }
      event.preventDefault();
      highlight(current < 0 ? 0 : current + (event.key === "j" ? 1 : -1));
    } else if (event.key === "Enter" && current >= 0) {
      const row = rows()[current];
      // Enter on a link or button keeps its own meaning.
      const onControl = event.target.closest && event.target.closest("a, button, summary, label");
      if (row && row.dataset.href && !onControl) {
        event.preventDefault();
        window.location.assign(row.dataset.href);
      }
    }
  });

  // Ctrl/Cmd+Enter sends the comment being written.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
      const composer = event.target.closest("#composer form");
      if (composer) {
        event.preventDefault();
        composer.requestSubmit();
      }
    }
  });

  // --- Affected-CIs picker: Enter in its search searches (htmx), it never submits the form --------
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches || !event.target.matches("[data-ci-search]")) {
      return;
    }
    if (window.htmx) {
      event.preventDefault();
      window.htmx.trigger(event.target, "ci-search");
    }
  });

  // --- Bulk selection ---------------------------------------------------------------------------
  function bulkState() {
    const form = document.getElementById("bulk-form");
    if (!form) {
      return;
    }
    const checks = Array.from(form.querySelectorAll("[data-row-check]"));
    const selected = checks.filter(function (c) {
      return c.checked;
    });
    const all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = selected.length > 0 && selected.length === checks.length;
      all.indeterminate = selected.length > 0 && selected.length < checks.length;
    }
    const bar = form.querySelector("[data-bulk-bar]");
    if (bar) {
      bar.classList.toggle("has-selection", selected.length > 0);
      const count = bar.querySelector("[data-bulk-count]");
      if (count && selected.length) {
        count.textContent = count.dataset.template.replace("%(n)s", String(selected.length));
      }
    }
    // Offer only the statuses every selected ticket may move to.
    let allowed = null;
    selected.forEach(function (check) {
      const row = check.closest("tr");
      const moves = (row.dataset.transitions || "").split(" ").filter(Boolean);
      allowed = allowed === null ? moves : allowed.filter((s) => moves.includes(s));
    });
    const status = form.querySelector("[data-bulk-status]");
    if (status) {
      Array.from(status.options).forEach(function (option) {
        option.disabled = Boolean(option.value) && allowed !== null && !allowed.includes(option.value);
      });
      if (status.selectedOptions[0] && status.selectedOptions[0].disabled) {
        status.value = "";
      }
      form.querySelectorAll("[data-bulk-needs]").forEach(function (input) {
        input.hidden = input.dataset.bulkNeeds !== status.value;
      });
    }
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target.matches("[data-select-all]")) {
      const form = target.closest("form");
      form.querySelectorAll("[data-row-check]").forEach(function (c) {
        c.checked = target.checked;
      });
    }
    if (target.closest("#bulk-form")) {
      bulkState();
    }
    if (target.matches("#ticket-filters input[name=status]")) {
      statusSummary();
    }
    if (target.closest("[data-priority-form]") || target.matches("#id_impact, #id_urgency")) {
      priorityPreview();
    }
  });

  // --- The list's filter bar --------------------------------------------------------------------
  function statusSummary() {
    const button = document.querySelector("[data-status-summary]");
    if (!button) {
      return;
    }
    const checked = Array.from(
      document.querySelectorAll("#ticket-filters input[name=status]:checked"),
    ).map(function (input) {
      return input.nextElementSibling ? input.nextElementSibling.textContent.trim() : input.value;
    });
    const label = button.textContent.split(":")[0].trim();
    button.textContent = checked.length ? label + ": " + checked.join(", ") : label;
  }

  function syncOrdering() {
    const results = document.getElementById("ticket-results");
    const input = document.querySelector("[data-ordering-input]");
    if (results && input) {
      input.value = results.dataset.ordering || "";
    }
  }

  // --- Create form: the priority that impact × urgency give ------------------------------------
  function priorityPreview() {
    const preview = document.querySelector("[data-priority-preview]");
    const impact = document.getElementById("id_impact");
    const urgency = document.getElementById("id_urgency");
    if (!preview || !impact || !urgency) {
      return;
    }
    const matrix = {};
    preview.dataset.matrix.split(" ").forEach(function (pair) {
      const [key, value] = pair.split("=");
      matrix[key] = value;
    });
    const priority = matrix[impact.value + ":" + urgency.value];
    const badge = preview.querySelector("[data-priority-badge]");
    badge.className = "badge prio" + (priority ? " prio-" + priority : "");
    badge.textContent = priority ? "P" + priority : "—";
  }

  function init() {
    current = -1;
    bulkState();
    statusSummary();
    syncOrdering();
    priorityPreview();
  }

  document.addEventListener("DOMContentLoaded", function () {
    // htmx "settles" the style attribute of swapped elements with setAttribute, which the CSP
    // (style-src 'self') blocks whenever Bootstrap or the browser left one: settle classes only.
    if (window.htmx) {
      window.htmx.config.attributesToSettle = ["class", "width", "height"];
    }
    init();
  });
  document.addEventListener("htmx:afterSettle", init);
})();
