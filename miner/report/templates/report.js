// miner report: draws the embedded plotly figures and runs the prompt table's search and
// filters. Prompt text only ever reaches the page through textContent, never as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("miner-data").textContent);
  var PAGE = 200;

  var drawn = [];
  document.querySelectorAll("[data-figure]").forEach(function (div) {
    var spec = data.figures[div.getAttribute("data-figure")];
    if (!spec) { div.remove(); return; }
    // Only the map gets plotly's toolbar (zoom, pan); the bar charts are read as they are.
    var toolbar = div.getAttribute("data-figure") === "map";
    drawn.push(Plotly.newPlot(div, spec.data, spec.layout,
      { displaylogo: false, responsive: true, displayModeBar: toolbar }));
  });
  // Marks the page as drawn, for people's scripts and the browser tests.
  Promise.all(drawn).then(function () { document.body.setAttribute("data-charts", "drawn"); });

  var table = data.table;
  var topicNames = new Map(data.topics.map(function (pair) { return [pair[0], pair[1]]; }));
  var n = table.id.length;
  var topicLabel = function (i) {
    if (!table.topic || table.topic[i] === null) return "";
    var t = table.topic[i];
    return (t === -1 ? "outliers" : "#" + t + " " + (topicNames.get(t) || ""));
  };
  var haystack = [];
  for (var i = 0; i < n; i++) {
    haystack.push([table.id[i], topicLabel(i), table.text ? table.text[i] : ""].join("\n").toLowerCase());
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

  data.topics.forEach(function (pair) {
    topicSelect.appendChild(new Option(pair[0] === -1 ? "outliers" : "#" + pair[0] + " " + pair[1], String(pair[0])));
  });
  if (!table.topic) topicSelect.disabled = true;
  if (!table.score) scoreInput.disabled = scoreMaxInput.disabled = true;
  if (!table.selected) selectedSelect.disabled = true;

  function matches() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var topic = topicSelect.value === "" ? null : Number(topicSelect.value);
    var minScore = scoreInput.value === "" ? null : Number(scoreInput.value);
    var maxScore = scoreMaxInput.value === "" ? null : Number(scoreMaxInput.value);
    var sel = selectedSelect.value;
    var out = [];
    for (var i = 0; i < n; i++) {
      if (topic !== null && (!table.topic || table.topic[i] !== topic)) continue;
      if (minScore !== null || maxScore !== null) {
        var score = table.score ? table.score[i] : null;
        if (score === null) continue;
        if (minScore !== null && score < minScore) continue;
        if (maxScore !== null && score > maxScore) continue;
      }
      if (sel && table.selected && table.selected[i] !== (sel === "yes")) continue;
      var hay = haystack[i], ok = true;
      for (var w = 0; w < words.length && ok; w++) ok = hay.indexOf(words[w]) !== -1;
      if (ok) out.push(i);
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
    hits.slice(0, shown).forEach(function (i) {
      var row = document.createElement("tr");
      cell(row, table.id[i]);
      cell(row, topicLabel(i));
      cell(row, table.score && table.score[i] !== null ? String(table.score[i]) : "", "n");
      cell(row, table.selected && table.selected[i] ? "taken" : "");
      if (table.text) cell(row, table.text[i], "text");
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
