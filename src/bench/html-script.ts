// The chart script embedded in the HTML report (plain browser JavaScript, kept
// as a string so the page needs nothing else). It reads #bench-data and draws
// SVG into #chart-throughput, #chart-latency and #chart-scaling; every mark it
// draws has class "mark" (the HTML test counts them).
export const CHART_SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('bench-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var COLORS = { 'wasmxen': '#d9480f', 'js-reference': '#1971c2', 'postmessage': '#2f9e44', 'comlink': '#7048e8' };
  var impls = [];
  data.results.forEach(function (r) { if (impls.indexOf(r.impl) < 0) impls.push(r.impl); });
  function color(i) { return COLORS[i] || '#666'; }
  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function svg(host, w, h) { return el('svg', { width: w, height: h, viewBox: '0 0 ' + w + ' ' + h }, document.getElementById(host)); }
  function short(v) { return v >= 10 ? v.toFixed(0) : v.toFixed(1).replace(/\.0$/, ''); }
  function fmt(n) {
    if (n >= 1e9) return short(n / 1e9) + 'G';
    if (n >= 1e6) return short(n / 1e6) + 'M';
    if (n >= 1e3) return short(n / 1e3) + 'k';
    return short(n);
  }
  function fmtNs(n) {
    if (n >= 1e9) return short(n / 1e9) + ' s';
    if (n >= 1e6) return short(n / 1e6) + ' ms';
    if (n >= 1e3) return short(n / 1e3) + ' µs';
    return short(n) + ' ns';
  }
  function logScale(lo, hi, a, b) {
    var l0 = Math.log10(lo), l1 = Math.log10(hi);
    return function (v) { return a + (b - a) * (Math.log10(Math.max(v, lo)) - l0) / (l1 - l0 || 1); };
  }
  function decades(lo, hi) { var t = []; for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) t.push(Math.pow(10, e)); return t; }
  function label(r) { var p = Object.keys(r.params).map(function (k) { return k + '=' + r.params[k]; }).join(' '); return r.workload + (p ? ' ' + p : ''); }

  var legend = document.getElementById('legend');
  impls.forEach(function (i) {
    var s = document.createElement('span');
    s.innerHTML = '<i style="background:' + color(i) + '"></i>' + i;
    legend.appendChild(s);
  });

  // ---- throughput: grouped horizontal bars, log scale
  (function () {
    var groups = [];
    data.results.forEach(function (r) { if (groups.indexOf(label(r)) < 0) groups.push(label(r)); });
    var rows = data.results.filter(function (r) { return r.events_per_s > 0; });
    if (!rows.length) return;
    var lo = Math.min.apply(null, rows.map(function (r) { return r.events_per_s; })) / 2;
    var hi = Math.max.apply(null, rows.map(function (r) { return r.events_per_s; })) * 1.5;
    var barH = 12, gap = 10, left = 190, width = 900;
    var height = groups.length * (impls.length * barH + gap) + 40;
    var s = svg('chart-throughput', width + 20, height);
    var x = logScale(lo, hi, left, width);
    decades(lo, hi).forEach(function (t) {
      if (t < lo || t > hi) return;
      el('line', { x1: x(t), x2: x(t), y1: 0, y2: height - 25, stroke: '#ddd' }, s);
      el('text', { x: x(t), y: height - 10, 'text-anchor': 'middle' }, s, fmt(t) + '/s');
    });
    groups.forEach(function (g, gi) {
      var y0 = gi * (impls.length * barH + gap);
      el('text', { x: left - 8, y: y0 + impls.length * barH / 2 + 4, 'text-anchor': 'end' }, s, g);
      impls.forEach(function (impl, ii) {
        var r = rows.filter(function (q) { return label(q) === g && q.impl === impl; })[0];
        if (!r) return;
        var y = y0 + ii * barH;
        el('rect', { 'class': 'mark', x: left, y: y, width: Math.max(1, x(r.events_per_s) - left), height: barH - 2, fill: color(impl) }, s)
          .appendChild(el('title', {}, null, impl + ': ' + fmt(r.events_per_s) + ' events/s'));
        el('text', { x: x(r.events_per_s) + 4, y: y + barH - 3 }, s, fmt(r.events_per_s));
      });
    });
  })();

  // ---- latency distributions: one panel per workload, latency (log) by percentile
  (function () {
    var groups = [];
    data.results.forEach(function (r) { if (r.latency_curve.length && groups.indexOf(label(r)) < 0) groups.push(label(r)); });
    var pw = 330, ph = 200, cols = 3;
    if (!groups.length) return;
    var s = svg('chart-latency', cols * pw, Math.ceil(groups.length / cols) * (ph + 30));
    function nines(p) { return Math.min(4, -Math.log10(1 - Math.min(p, 99.99) / 100)); }
    groups.forEach(function (g, gi) {
      var ox = (gi % cols) * pw, oy = Math.floor(gi / cols) * (ph + 30);
      var rows = data.results.filter(function (r) { return label(r) === g && r.latency_curve.length; });
      var vals = [];
      rows.forEach(function (r) { r.latency_curve.forEach(function (p) { vals.push(p[1]); }); });
      var lo = Math.max(1, Math.min.apply(null, vals) / 1.5), hi = Math.max.apply(null, vals) * 1.5;
      var y = logScale(lo, hi, oy + ph - 20, oy + 28);
      var x = function (p) { return ox + 50 + (pw - 70) * nines(p) / 4; };
      el('text', { x: ox + 50, y: oy + 12 }, s, g);
      decades(lo, hi).forEach(function (t) {
        if (t < lo || t > hi) return;
        el('line', { x1: ox + 50, x2: ox + pw - 20, y1: y(t), y2: y(t), stroke: '#eee' }, s);
        el('text', { x: ox + 46, y: y(t) + 4, 'text-anchor': 'end' }, s, fmtNs(t));
      });
      [[50, 'p50'], [90, 'p90'], [99, 'p99'], [99.9, 'p99.9'], [99.99, 'max']].forEach(function (t) {
        el('text', { x: x(t[0]), y: oy + ph - 4, 'text-anchor': 'middle' }, s, t[1]);
      });
      rows.forEach(function (r) {
        var d = r.latency_curve.map(function (p, i) { return (i ? 'L' : 'M') + x(p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1); }).join(' ');
        el('path', { 'class': 'mark', d: d, fill: 'none', stroke: color(r.impl), 'stroke-width': 2 }, s)
          .appendChild(el('title', {}, null, r.impl + ' p50 ' + fmtNs(r.latency_ns.p50) + ', p99 ' + fmtNs(r.latency_ns.p99)));
      });
    });
  })();

  // ---- scaling: fan-in events/s against senders
  (function () {
    var rows = data.results.filter(function (r) { return r.workload === 'fifo-fanin' && r.params.senders; });
    var host = document.getElementById('chart-scaling');
    if (!rows.length) { host.textContent = 'fifo-fanin was not part of this run.'; return; }
    var ks = []; rows.forEach(function (r) { if (ks.indexOf(r.params.senders) < 0) ks.push(r.params.senders); });
    ks.sort(function (a, b) { return a - b; });
    var w = 600, h = 300, left = 70;
    var s = svg('chart-scaling', w, h);
    var lo = Math.min.apply(null, rows.map(function (r) { return r.events_per_s; })) / 2;
    var hi = Math.max.apply(null, rows.map(function (r) { return r.events_per_s; })) * 1.5;
    var y = logScale(lo, hi, h - 30, 10);
    var x = function (k) { return ks.length === 1 ? (left + w) / 2 : left + (w - left - 30) * (k - ks[0]) / (ks[ks.length - 1] - ks[0]); };
    decades(lo, hi).forEach(function (t) {
      if (t < lo || t > hi) return;
      el('line', { x1: left, x2: w - 20, y1: y(t), y2: y(t), stroke: '#eee' }, s);
      el('text', { x: left - 6, y: y(t) + 4, 'text-anchor': 'end' }, s, fmt(t) + '/s');
    });
    ks.forEach(function (k) { el('text', { x: x(k), y: h - 10, 'text-anchor': 'middle' }, s, 'k=' + k); });
    impls.forEach(function (impl) {
      var pts = rows.filter(function (r) { return r.impl === impl; }).sort(function (a, b) { return a.params.senders - b.params.senders; });
      if (!pts.length) return;
      el('path', { 'class': 'mark', d: pts.map(function (r, i) { return (i ? 'L' : 'M') + x(r.params.senders) + ' ' + y(r.events_per_s); }).join(' '),
        fill: 'none', stroke: color(impl), 'stroke-width': 2 }, s);
      pts.forEach(function (r) {
        el('circle', { 'class': 'mark', cx: x(r.params.senders), cy: y(r.events_per_s), r: 4, fill: color(impl) }, s)
          .appendChild(el('title', {}, null, impl + ' k=' + r.params.senders + ': ' + fmt(r.events_per_s) + ' events/s'));
      });
    });
  })();
})();
`;
