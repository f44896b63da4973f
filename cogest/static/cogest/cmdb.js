// CMDB pages: the CI page's relation graph (Cytoscape.js, served by cogest itself: see
// scripts/vendor-assets.sh), the CI picker (search as you type), j/k in the CI list, and htmx
// swaps of CMDB forms answered with 400 (inline errors). No inline scripts anywhere (CSP): data
// comes from data- attributes and JSON endpoints, and text is inserted as text, never as HTML.
(function () {
  "use strict";

  function typing(target) {
    const tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  // A CMDB form answered "400 Bad Request" carries its inline errors: show them in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    const ours = target && target.id && (target.id.indexOf("ci-") === 0);
    if (ours && event.detail.xhr && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // --- The relation graph --------------------------------------------------------------------
  let graph = null;

  function graphMessage(el, text) {
    const box = document.createElement("div");
    box.className = "ci-graph-message";
    box.textContent = text;
    el.replaceChildren(box);
  }

  function drawLegend(nodes) {
    const legend = document.querySelector("[data-graph-legend]");
    if (!legend) return;
    const classes = new Map();
    nodes.forEach(function (node) {
      if (!classes.has(node.ci_class)) classes.set(node.ci_class, node);
    });
    legend.replaceChildren();
    classes.forEach(function (node) {
      const item = document.createElement("li");
      item.className = "list-inline-item";
      const dot = document.createElement("span");
      dot.className = "ci-dot";
      dot.setAttribute("aria-hidden", "true");
      dot.style.backgroundColor = node.colour;
      item.appendChild(dot);
      item.appendChild(document.createTextNode(node.class_name));
      legend.appendChild(item);
    });
  }

  const GRAPH_STYLE = [
    {
      selector: "node",
      style: {
        "background-color": "data(colour)",
        label: "data(name)",
        "font-size": 10,
        color: "#1d2330",
        "text-valign": "bottom",
        "text-margin-y": 4,
        "text-wrap": "ellipsis",
        "text-max-width": 130,
        width: 26,
        height: 26,
        "border-width": 1,
        "border-color": "#ffffff",
      },
    },
    { selector: "node[criticality = 1]", style: { width: 40, height: 40 } },
    { selector: "node[criticality = 2]", style: { width: 33, height: 33 } },
    { selector: "node[?is_service]", style: { shape: "round-rectangle" } },
    { selector: "node[status = 'retired']", style: { opacity: 0.45 } },
    {
      selector: "node[?center]",
      style: { "border-width": 4, "border-color": "#1d2330", "font-weight": "bold" },
    },
    {
      selector: "edge",
      style: {
        width: 1.5,
        "line-color": "#9aa3b2",
        "target-arrow-color": "#9aa3b2",
        "target-arrow-shape": "triangle",
        "curve-style": "bezier",
        label: "data(label)",
        "font-size": 8,
        color: "#5b6475",
        "text-rotation": "autorotate",
        "text-background-color": "#fcfcfd",
        "text-background-opacity": 1,
        "text-background-padding": 1,
      },
    },
  ];

  function drawGraph() {
    const el = document.querySelector("[data-ci-graph]");
    if (!el || typeof window.cytoscape !== "function") return;
    const select = document.querySelector("[data-graph-depth]");
    const depth = select ? select.value : "2";
    fetch(el.dataset.url + "?depth=" + encodeURIComponent(depth), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        renderGraph(el, data);
      })
      .catch(function () {
        graphMessage(el, el.dataset.error);
      });
  }

  function renderGraph(el, data) {
    if (graph) {
      graph.destroy();
      graph = null;
    }
    el.replaceChildren();
    drawLegend(data.nodes);
    const note = el.parentElement.querySelector("[data-graph-note]");
    if (note) note.remove();
    if (data.truncated) {
      const p = document.createElement("p");
      p.className = "ci-graph-note mb-1";
      p.dataset.graphNote = "";
      p.textContent = el.dataset.truncated;
      el.after(p);
    }
    if (!data.edges.length) {
      graphMessage(el, el.dataset.empty);
      return;
    }
    graph = window.cytoscape({
      container: el,
      elements: {
        nodes: data.nodes.map(function (node) {
          return { data: node };
        }),
        edges: data.edges.map(function (edge) {
          return { data: edge };
        }),
      },
      style: GRAPH_STYLE,
      layout: {
        name: "concentric",
        concentric: function (node) {
          return 10 - node.data("depth");
        },
        levelWidth: function () {
          return 1;
        },
        minNodeSpacing: 28,
        animate: false,
      },
      minZoom: 0.2,
      maxZoom: 2.5,
    });
    // A node opens its CI page (the table below the graph is the keyboard way there).
    graph.on("tap", "node", function (event) {
      const node = event.target;
      if (!node.data("center") && node.data("url")) {
        window.location.assign(node.data("url"));
      }
    });
    graph.on("mouseover", "node", function () {
      el.style.cursor = "pointer";
    });
    graph.on("mouseout", "node", function () {
      el.style.cursor = "";
    });
  }

  const depthSelect = document.querySelector("[data-graph-depth]");
  if (depthSelect) depthSelect.addEventListener("change", drawGraph);
  // Adding or removing a relation (htmx) redraws the graph.
  document.body.addEventListener("cmdb-relations-changed", drawGraph);
  drawGraph();

  // --- The CI picker: search the CIs one may see, choose one ---------------------------------
  function initPicker(root) {
    if (root.dataset.pickerReady) return;
    root.dataset.pickerReady = "1";
    const input = root.querySelector("[data-picker-input]");
    const hidden = root.querySelector("[data-picker-value]");
    const list = root.querySelector("[data-picker-list]");
    if (!input || !hidden || !list) return;
    let timer = null;
    let active = -1;
    let sequence = 0;

    function options() {
      return Array.from(list.querySelectorAll('[role="option"]'));
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(index) {
      const all = options();
      active = index;
      all.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (all[index]) {
        input.setAttribute("aria-activedescendant", all[index].id);
        all[index].scrollIntoView({ block: "nearest" });
      }
    }

    function choose(option) {
      hidden.value = option.dataset.ciId;
      input.value = option.dataset.ciName;
      close();
    }

    function show(results) {
      list.replaceChildren();
      results.forEach(function (result, i) {
        const option = document.createElement("li");
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.id = list.id + "-" + i;
        option.dataset.ciId = String(result.id);
        option.dataset.ciName = result.name;
        option.textContent = result.name + " ";
        const meta = document.createElement("span");
        meta.className = "text-secondary small";
        meta.textContent = result.class_name + (result.asset_tag ? " · " + result.asset_tag : "");
        option.appendChild(meta);
        // mousedown, not click: it comes before the input's blur closes the list.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(option);
        });
        list.appendChild(option);
      });
      if (!results.length) {
        const empty = document.createElement("li");
        empty.className = "ci-picker-empty";
        empty.setAttribute("role", "presentation");
        empty.textContent = root.dataset.none;
        list.appendChild(empty);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function search() {
      const mine = ++sequence;
      let url = root.dataset.url + "?q=" + encodeURIComponent(input.value.trim());
      if (root.dataset.exclude) url += "&exclude=" + encodeURIComponent(root.dataset.exclude);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (mine === sequence) show(data.results);
        })
        .catch(close);
    }

    input.addEventListener("input", function () {
      hidden.value = "";
      window.clearTimeout(timer);
      if (!input.value.trim()) {
        close();
        return;
      }
      timer = window.setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      const all = options();
      if (event.key === "Escape") {
        close();
        return;
      }
      if (list.hidden || !all.length) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        mark(Math.min(active + 1, all.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        mark(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(all[active]);
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });
  }

  function initPickers(scope) {
    if (scope.matches && scope.matches("[data-ci-picker]")) initPicker(scope);
    scope.querySelectorAll("[data-ci-picker]").forEach(initPicker);
  }

  initPickers(document);
  // htmx re-renders the relations section: its new picker needs wiring too.
  document.addEventListener("htmx:load", function (event) {
    initPickers(event.detail.elt);
  });

  // --- j/k move in the CI list, Enter opens ----------------------------------------------------
  let current = -1;

  function rows() {
    return Array.from(document.querySelectorAll("[data-ci-table] tbody tr[data-row]"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const all = rows();
    if (!all.length) return;
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      current = current < 0 ? 0 : current + (event.key === "j" ? 1 : -1);
      current = Math.max(0, Math.min(current, all.length - 1));
      all.forEach(function (row, i) {
        row.classList.toggle("is-current", i === current);
        if (i === current) row.setAttribute("aria-current", "true");
        else row.removeAttribute("aria-current");
      });
      all[current].scrollIntoView({ block: "nearest" });
    } else if (event.key === "Enter" && current >= 0 && all[current]) {
      const onControl = event.target.closest && event.target.closest("a, button, summary, label");
      if (!onControl && all[current].dataset.href) {
        event.preventDefault();
        window.location.assign(all[current].dataset.href);
      }
    }
  });
  // A new page of results (htmx) starts without a current row.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "ci-results") current = -1;
  });
})();
