// miner report: draws the embedded plotly figures and runs the prompt table's search and
// filters. Prompt text only ever reaches the page through textContent, never as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("miner-data").textContent);
  var PAGE = 200;
  var store = data.prompts;
  var topicNames = new Map(data.topics.map(function (t) {
    return [t[0], t[0] === -1 ? "outliers" : "#" + t[1] + " " + t[2]];
  }));
  // Text for plotly's pseudo-HTML: &, < and > escaped once, so it shows as written.
  var plain = function (text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  };
  var wrap = function (text, width) {
    var lines = [], line = "";
    text.split(/\s+/).forEach(function (word) {
      while (word.length > width) { if (line) { lines.push(line); line = ""; } lines.push(word.slice(0, width)); word = word.slice(width); }
      if (line && line.length + 1 + word.length > width) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) lines.push(line);
    return lines;
  };
  // Map hovers come from the one prompt store: topic name, how it got there, the prompt.
  var mapHovers = function (spec) {
    spec.data.forEach(function (trace) {
      trace.hovertext = trace.customdata.map(function (k) {
        var topic = store.topic ? store.topic[k] : null;
        var lines = ["<b>" + plain(topicNames.get(topic) || "topic " + topic) + "</b>"];
        if (trace.meta && trace.meta.moved) lines.push("<i>moved here by the outlier step</i>");
        var text = store.text ? store.text[k] : store.id[k];
        if (text.length > data.hover_chars) text = text.slice(0, data.hover_chars - 1) + "\u2026";
        return lines.concat(wrap(text, 60).map(plain)).join("<br>");
      });
    });
  };

  var drawn = [];
  document.querySelectorAll("[data-figure]").forEach(function (div) {
    var name = div.getAttribute("data-figure");
    var spec = data.figures[name];
    if (!spec) { div.remove(); return; }
    if (name === "map") mapHovers(spec);
    // A fixed height on the element: plotly's responsive resize takes the element's height,
    // and an element sized by its content would collapse on the first window resize.
    if (spec.layout.height) div.style.height = spec.layout.height + "px";
    // Only the map gets plotly's toolbar (zoom, pan); the bar charts are read as they are.
    drawn.push(Plotly.newPlot(div, spec.data, spec.layout,
      { displaylogo: false, responsive: true, displayModeBar: name === "map" }));
  });
  // Marks the page as drawn, for people's scripts and the browser tests.
  Promise.all(drawn).then(function () { document.body.setAttribute("data-charts", "drawn"); });

  // Sortable topic table: a click on a column's name sorts by it (again: the other way).
  document.querySelectorAll("table.sortable").forEach(function (tableEl) {
    tableEl.querySelectorAll("th").forEach(function (th, column) {
      th.tabIndex = 0;
      var sort = function () {
        var numeric = th.getAttribute("data-type") === "n";
        var down = th.getAttribute("aria-sort") !== "descending";
        tableEl.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        var body = tableEl.tBodies[0];
        var rows = Array.from(body.rows);
        var key = function (row) {
          var cell = row.cells[column];
          return numeric ? Number(cell.getAttribute("data-v")) : cell.textContent.toLowerCase();
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          return (x < y ? -1 : x > y ? 1 : 0) * (down ? -1 : 1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  });

  var order = data.table;
  var n = order.length;
  var topicLabel = function (k) {
    if (!store.topic || store.topic[k] === null) return "";
    return topicNames.get(store.topic[k]) || "";
  };
  var haystack = [];
  for (var i = 0; i < n; i++) {
    var k = order[i];
    haystack.push([store.id[k], topicLabel(k), store.text ? store.text[k] : ""].join("\n").toLowerCase());
  }

  var search = document.getElementById("search");
  var topicSelect = document.getElementById("filter-topic");
  var scoreInput = document.getElementById("filter-score");
  var scoreMaxInput = document.getElementById("filter-score-max");
  var selectedSelect = document.getElementById("filter-selected");
  var body = document.querySelector("#prompt-table tbody");
  var count = document.getElementById("match-count");
  var more = document.getElementById("show-more");
  var shown = PAGE;

  data.topics.forEach(function (t) {
    topicSelect.appendChild(new Option(topicNames.get(t[0]), String(t[0])));
  });
  if (!store.topic) topicSelect.disabled = true;
  if (!store.score) scoreInput.disabled = scoreMaxInput.disabled = true;
  if (!store.selected) selectedSelect.disabled = true;

  function matches() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var topic = topicSelect.value === "" ? null : Number(topicSelect.value);
    var minScore = scoreInput.value === "" ? null : Number(scoreInput.value);
    var maxScore = scoreMaxInput.value === "" ? null : Number(scoreMaxInput.value);
    var sel = selectedSelect.value;
    var out = [];
    for (var i = 0; i < n; i++) {
      var k = order[i];
      if (topic !== null && (!store.topic || store.topic[k] !== topic)) continue;
      if (minScore !== null || maxScore !== null) {
        var score = store.score ? store.score[k] : null;
        if (score === null) continue;
        if (minScore !== null && score < minScore) continue;
        if (maxScore !== null && score > maxScore) continue;
      }
      if (sel && store.selected && !!store.selected[k] !== (sel === "yes")) continue;
      var hay = haystack[i], ok = true;
      for (var w = 0; w < words.length && ok; w++) ok = hay.indexOf(words[w]) !== -1;
      if (ok) out.push(k);
    }
    return out;
  }

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
  }

  function render() {
    var hits = matches();
    var frag = document.createDocumentFragment();
    hits.slice(0, shown).forEach(function (k) {
      var row = document.createElement("tr");
      cell(row, store.id[k]);
      cell(row, topicLabel(k));
      cell(row, store.score && store.score[k] !== null ? String(store.score[k]) : "", "n");
      cell(row, store.selected && store.selected[k] ? "taken" : "");
      if (store.text) cell(row, store.text[k], "text");
      frag.appendChild(row);
    });
    body.replaceChildren(frag);
    count.textContent = hits.length + " of " + n + " prompts in the table match" +
      (hits.length > shown ? "; showing the first " + shown : "");
    more.hidden = hits.length <= shown;
  }

  function refilter() { shown = PAGE; render(); }
  search.addEventListener("input", refilter);
  topicSelect.addEventListener("change", refilter);
  scoreInput.addEventListener("input", refilter);
  scoreMaxInput.addEventListener("input", refilter);
  selectedSelect.addEventListener("change", refilter);
  more.addEventListener("click", function () { shown += PAGE; render(); });
  render();
})();
