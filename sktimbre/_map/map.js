/* The timbre map: draws the sounds of a TimbreIndex on a canvas, plays them, and lists
   the nearest neighbours of the selected one, computed here from the embedded vectors
   with the index's metric (the same exact search as TimbreIndex.query).
   No network: everything this page needs is in this file. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("timbre-map-data").textContent);
  var n = data.n, dims = data.dims;

  function decodeFloat32(text) {
    var binary = atob(text), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }

  var xy = decodeFloat32(data.xy);
  var vectors = decodeFloat32(data.vectors);
  var norms = new Float64Array(n);
  for (var i = 0; i < n; i++) {
    var s = 0;
    for (var j = 0; j < dims; j++) { var v = vectors[i * dims + j]; s += v * v; }
    norms[i] = Math.sqrt(s);
  }

  // positions scaled into [0, 1] x [0, 1], keeping the aspect ratio of the layout
  var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (i = 0; i < n; i++) {
    minX = Math.min(minX, xy[2 * i]); maxX = Math.max(maxX, xy[2 * i]);
    minY = Math.min(minY, xy[2 * i + 1]); maxY = Math.max(maxY, xy[2 * i + 1]);
  }
  var span = Math.max(maxX - minX, maxY - minY) || 1;
  var px = new Float32Array(n), py = new Float32Array(n);
  for (i = 0; i < n; i++) {
    px[i] = (xy[2 * i] - minX) / span + (1 - (maxX - minX) / span) / 2;
    py[i] = (xy[2 * i + 1] - minY) / span + (1 - (maxY - minY) / span) / 2;
  }

  // ------------------------------------------------------------------ elements
  var canvas = document.getElementById("canvas");
  var ctx = canvas.getContext("2d");
  var plot = document.getElementById("plot");
  var tooltip = document.getElementById("tooltip");
  var search = document.getElementById("search");
  var count = document.getElementById("count");
  var player = document.getElementById("player");
  var selectedName = document.getElementById("selected-name");
  var selectedDetail = document.getElementById("selected-detail");
  var neighbourList = document.getElementById("neighbours");
  var legend = document.getElementById("legend");

  document.getElementById("meta").textContent = n.toLocaleString("en") + " sounds \u00b7 " +
    "coloured by " + data.colour_by + " \u00b7 " + data.metric + " distance";
  document.getElementById("legend-title").textContent = "Colours: " + data.colour_by;

  // ------------------------------------------------------------------ state
  var state = {
    scale: 1, tx: 0, ty: 0,          // view: screen = (p * base * scale) + offset + t
    selected: -1, hovered: -1, playing: -1,
    neighbours: [], distances: [],
    matches: null,                    // Uint8Array of the search's matches, or null
    hiddenCategories: new Uint8Array(data.categories.length),
    lastDrawMs: 0
  };
  var width = 0, height = 0, ratio = 1, base = 1, offX = 0, offY = 0;
  var radius = n > 5000 ? 2 : n > 1000 ? 3 : 4.5;

  function resize() {
    ratio = window.devicePixelRatio || 1;
    width = plot.clientWidth; height = plot.clientHeight;
    canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
    var margin = 24;
    base = Math.max(Math.min(width, height) - 2 * margin, 10);
    offX = (width - base) / 2; offY = (height - base) / 2;
    draw();
  }

  function screenX(k) { return (px[k] * base + offX) * state.scale + state.tx; }
  function screenY(k) { return ((1 - py[k]) * base + offY) * state.scale + state.ty; }

  // points by category, so that each colour is set once per frame
  var byCategory = data.categories.map(function () { return []; });
  for (i = 0; i < n; i++) byCategory[data.label[i]].push(i);

  function visible(k) {
    return !state.hiddenCategories[data.label[k]] && (state.matches === null || state.matches[k]);
  }

  function draw() {
    var start = performance.now();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = "#f6f6f4";
    ctx.fillRect(0, 0, width, height);
    var r = radius, d = 2 * r;
    // everything filtered out first, faint; then the rest, category by category
    ctx.fillStyle = "rgba(150, 150, 150, 0.18)";
    for (var c = 0; c < byCategory.length; c++) {
      var members = byCategory[c];
      for (var m = 0; m < members.length; m++) {
        var k = members[m];
        if (!visible(k)) ctx.fillRect(screenX(k) - r, screenY(k) - r, d, d);
      }
    }
    for (c = 0; c < byCategory.length; c++) {
      if (state.hiddenCategories[c]) continue;
      ctx.fillStyle = data.categories[c].colour;
      members = byCategory[c];
      for (m = 0; m < members.length; m++) {
        k = members[m];
        if (state.matches === null || state.matches[k]) {
          ctx.fillRect(screenX(k) - r, screenY(k) - r, d, d);
        }
      }
    }
    ctx.lineWidth = 2;
    for (m = 0; m < state.neighbours.length; m++) ring(state.neighbours[m], r + 3, "#222");
    if (state.playing >= 0 && state.playing !== state.selected) ring(state.playing, r + 5, "#d9a400");
    if (state.selected >= 0) ring(state.selected, r + 6, "#e0245e");
    if (state.hovered >= 0) ring(state.hovered, r + 3, "#555");
    state.lastDrawMs = performance.now() - start;
    return state.lastDrawMs;
  }

  function ring(k, r, colour) {
    ctx.strokeStyle = colour;
    ctx.beginPath();
    ctx.arc(screenX(k), screenY(k), r, 0, 2 * Math.PI);
    ctx.stroke();
  }

  // ------------------------------------------------------------------ picking
  // a uniform grid over the unit square: a point is found by looking in a few cells
  var G = Math.max(1, Math.min(256, Math.ceil(Math.sqrt(n / 4))));
  var cells = new Array(G * G);
  for (i = 0; i < n; i++) {
    var cx = Math.min(G - 1, Math.floor(px[i] * G)), cy = Math.min(G - 1, Math.floor(py[i] * G));
    var key = cy * G + cx;
    (cells[key] || (cells[key] = [])).push(i);
  }

  function pick(sx, sy) {
    var tolerance = Math.max(radius + 3, 6);
    // screen -> unit square
    var ux = ((sx - state.tx) / state.scale - offX) / base;
    var uy = 1 - ((sy - state.ty) / state.scale - offY) / base;
    var reach = tolerance / (base * state.scale);
    var x0 = Math.max(0, Math.floor((ux - reach) * G)), x1 = Math.min(G - 1, Math.floor((ux + reach) * G));
    var y0 = Math.max(0, Math.floor((uy - reach) * G)), y1 = Math.min(G - 1, Math.floor((uy + reach) * G));
    var best = -1, bestD = tolerance * tolerance;
    for (var gy = y0; gy <= y1; gy++) {
      for (var gx = x0; gx <= x1; gx++) {
        var cell = cells[gy * G + gx];
        if (!cell) continue;
        for (var m = 0; m < cell.length; m++) {
          var k = cell[m];
          if (!visible(k)) continue;
          var dx = screenX(k) - sx, dy = screenY(k) - sy, dd = dx * dx + dy * dy;
          if (dd <= bestD) { bestD = dd; best = k; }
        }
      }
    }
    return best;
  }

  // ------------------------------------------------------------------ neighbours
  function distance(a, b) {
    var s = 0, oa = a * dims, ob = b * dims;
    if (data.metric === "euclidean") {
      for (var j = 0; j < dims; j++) { var t = vectors[oa + j] - vectors[ob + j]; s += t * t; }
      return Math.sqrt(s);
    }
    for (j = 0; j < dims; j++) s += vectors[oa + j] * vectors[ob + j];
    var nn = norms[a] * norms[b];
    var cos = nn > 0 ? s / nn : 0;
    return 1 - Math.max(-1, Math.min(1, cos));
  }

  /* The k items nearest to item q, itself left out: nearest first, ties by position. */
  function neighbours(q, k) {
    k = Math.min(k, n - 1);
    var bestI = [], bestD = [];
    for (var i = 0; i < n; i++) {
      if (i === q) continue;
      var d = distance(q, i);
      if (bestI.length === k && d >= bestD[k - 1]) continue;
      var pos = bestI.length;
      while (pos > 0 && bestD[pos - 1] > d) pos--;
      bestI.splice(pos, 0, i); bestD.splice(pos, 0, d);
      if (bestI.length > k) { bestI.pop(); bestD.pop(); }
    }
    return { indices: bestI, distances: bestD };
  }

  // ------------------------------------------------------------------ text
  var NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
  function pitchText(hz) {
    if (hz === null || !(hz > 0)) return "";
    var midi = Math.round(69 + 12 * Math.log2(hz / 440));
    return NOTE_NAMES[((midi % 12) + 12) % 12] + (Math.floor(midi / 12) - 1) + " (" +
      hz.toFixed(hz < 100 ? 1 : 0) + " Hz)";
  }
  function categoryName(k) { return data.categories[data.label[k]].name; }
  function detailText(k) {
    var parts = [data.colour_by + ": " + categoryName(k)];
    var p = pitchText(data.pitch[k]);
    if (p) parts.push("pitch \u2248 " + p);
    return parts.join(" \u00b7 ");
  }

  // ------------------------------------------------------------------ actions
  function play(k) {
    state.playing = k;
    if (data.src[k]) {
      player.src = data.src[k];
      var promise = player.play();
      if (promise && promise.catch) promise.catch(function () {});
    } else {
      player.removeAttribute("src");
    }
    var items = neighbourList.children;
    for (var m = 0; m < items.length; m++) {
      items[m].classList.toggle("playing", Number(items[m].dataset.index) === k);
    }
    draw();
  }

  function select(k) {
    state.selected = k;
    selectedName.classList.remove("empty");
    selectedName.textContent = data.names[k];
    selectedName.title = data.paths[k];
    selectedDetail.textContent = detailText(k) + (data.src[k] ? "" : " \u00b7 no audio");
    var found = neighbours(k, data.k);
    state.neighbours = found.indices; state.distances = found.distances;
    document.getElementById("neighbours-title").textContent =
      "Nearest " + found.indices.length + " sounds (" + data.metric + " distance)";
    neighbourList.textContent = "";
    found.indices.forEach(function (j, rank) {
      var li = document.createElement("li");
      li.dataset.index = j;
      var button = document.createElement("button");
      button.textContent = "\u25b6";
      button.title = "Play";
      button.addEventListener("click", function () { play(j); });
      var chip = document.createElement("span");
      chip.className = "chip";
      chip.style.background = data.categories[data.label[j]].colour;
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = data.names[j];
      name.title = data.paths[j] + "\n" + detailText(j) + "\nclick: select it";
      name.addEventListener("click", function () { select(j); });
      var dist = document.createElement("span");
      dist.className = "dist";
      dist.textContent = found.distances[rank].toFixed(3);
      li.append(button, chip, name, dist);
      neighbourList.appendChild(li);
    });
    play(k);
  }

  function showTooltip(k, sx, sy) {
    if (k < 0) { tooltip.style.display = "none"; return; }
    tooltip.textContent = "";
    var name = document.createElement("div");
    name.textContent = data.names[k];
    var detail = document.createElement("div");
    detail.className = "label";
    detail.textContent = detailText(k);
    tooltip.append(name, detail);
    tooltip.style.display = "block";
    var left = sx + 14, top = sy + 12;
    if (left + tooltip.offsetWidth > width) left = sx - tooltip.offsetWidth - 10;
    if (top + tooltip.offsetHeight > height) top = sy - tooltip.offsetHeight - 10;
    tooltip.style.left = left + "px"; tooltip.style.top = top + "px";
  }

  function applySearch() {
    var text = search.value.trim().toLowerCase();
    if (!text) {
      state.matches = null;
      count.textContent = "";
    } else {
      state.matches = new Uint8Array(n);
      var hits = 0;
      for (var k = 0; k < n; k++) {
        if (data.names[k].toLowerCase().indexOf(text) >= 0 ||
            categoryName(k).toLowerCase().indexOf(text) >= 0) {
          state.matches[k] = 1; hits++;
        }
      }
      count.textContent = hits.toLocaleString("en") + " match" + (hits === 1 ? "" : "es");
    }
    draw();
  }

  // ------------------------------------------------------------------ legend
  data.categories.forEach(function (category, c) {
    var li = document.createElement("li");
    var chip = document.createElement("span");
    chip.className = "chip";
    chip.style.background = category.colour;
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = category.name;
    var size = document.createElement("span");
    size.className = "n";
    size.textContent = category.count;
    li.append(chip, name, size);
    li.title = category.name + " (" + category.count + "): click to show or hide";
    li.addEventListener("click", function () {
      state.hiddenCategories[c] = state.hiddenCategories[c] ? 0 : 1;
      li.classList.toggle("off", !!state.hiddenCategories[c]);
      draw();
    });
    legend.appendChild(li);
  });

  // ------------------------------------------------------------------ events
  var drag = null;
  function local(event) {
    var box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }
  canvas.addEventListener("mousedown", function (event) {
    var p = local(event);
    drag = { x: p[0], y: p[1], tx: state.tx, ty: state.ty, moved: false };
  });
  window.addEventListener("mouseup", function () { setTimeout(function () { drag = null; }, 0); });
  canvas.addEventListener("mousemove", function (event) {
    var p = local(event);
    if (drag && (Math.abs(p[0] - drag.x) > 3 || Math.abs(p[1] - drag.y) > 3)) {
      drag.moved = true;
      state.tx = drag.tx + p[0] - drag.x; state.ty = drag.ty + p[1] - drag.y;
      showTooltip(-1); draw();
      return;
    }
    var k = pick(p[0], p[1]);
    if (k !== state.hovered) { state.hovered = k; draw(); }
    showTooltip(k, p[0], p[1]);
  });
  canvas.addEventListener("mouseleave", function () {
    state.hovered = -1; showTooltip(-1); draw();
  });
  canvas.addEventListener("click", function (event) {
    if (drag && drag.moved) return;
    var p = local(event);
    var k = pick(p[0], p[1]);
    if (k >= 0) select(k);
  });
  canvas.addEventListener("wheel", function (event) {
    event.preventDefault();
    var p = local(event);
    var factor = Math.exp(-event.deltaY * 0.0015);
    var scale = Math.min(200, Math.max(0.5, state.scale * factor));
    factor = scale / state.scale;
    state.tx = p[0] - (p[0] - state.tx) * factor;
    state.ty = p[1] - (p[1] - state.ty) * factor;
    state.scale = scale;
    draw();
  }, { passive: false });
  canvas.addEventListener("dblclick", function () {
    state.scale = 1; state.tx = 0; state.ty = 0; draw();
  });
  search.addEventListener("input", applySearch);
  search.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { search.value = ""; applySearch(); }
    if (event.key === "Enter" && state.matches) {
      for (var k = 0; k < n; k++) if (state.matches[k] && visible(k)) { select(k); break; }
    }
  });
  window.addEventListener("resize", resize);

  // for scripts and tests: select a sound, ask for neighbours, find a point on screen
  window.timbreMap = {
    n: n, state: state, draw: draw, select: select, neighbours: neighbours,
    screenPosition: function (k) { return [screenX(k), screenY(k)]; }
  };
  resize();
})();
