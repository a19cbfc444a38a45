/*
 * Pushline operations dashboard. Polls api/dashboard once a second (only the samples it has not seen, with ?since=),
 * keeps the last ten minutes and redraws hand-made SVG charts and tables. No library, nothing fetched from elsewhere.
 *
 * State for tests and scripts, on <body> after each update:
 *   data-state          waiting (no sample yet) | live | stale (no new sample for 5 s) | error (the last poll failed)
 *   data-updated        polls applied so far;  data-errors: polls failed so far
 *   data-samples        samples held;  data-last-sample: epoch millis of the newest
 *   data-pushes-total   pushes delivered since the process started (newest sample's total)
 *   data-pushes-max-rate  the highest delivered-per-second rate in the samples held
 *   data-events-total, data-devices-total, data-dead-letters-total: the newest sample's totals
 *   data-lanes          consumer lag lanes (group and topic) in the newest sample;  data-jobs: fanout jobs shown
 */
(function () {
  'use strict';

  var WINDOW_MS = 10 * 60 * 1000;
  var MIN_SPAN_MS = 60 * 1000;
  var POLL_MS = 1000;
  var TIMEOUT_MS = 5000;
  var STALE_MS = 5000;
  var PALETTE = ['#2563eb', '#f97316', '#16a34a', '#9333ea', '#0891b2', '#dc2626', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
  var OUTCOME_COLORS = {
    delivered: '#16a34a', rejected: '#f97316', expired: '#94a3b8', failed: '#dc2626',
    unregistered: '#9333ea', banned: '#334155'
  };
  var SVG = 'http://www.w3.org/2000/svg';

  var state = {
    samples: [], capacity: 600, intervalMs: 1000, updated: 0, errors: 0, failures: 0,
    skew: 0, lastT: null, charts: {}
  };

  // ------------------------------------------------------------------ formatting

  function fmt(v) {
    if (v === null || v === undefined || isNaN(v)) return '–';
    var a = Math.abs(v);
    if (a >= 1e9) return trim(v / 1e9, a >= 1e10 ? 0 : 1) + 'G';
    if (a >= 1e6) return trim(v / 1e6, a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e3) return trim(v / 1e3, a >= 1e4 ? 0 : 1) + 'k';
    if (a >= 100 || a === 0) return String(Math.round(v));
    if (a >= 10) return trim(v, 1);
    if (a >= 1) return trim(v, 1);
    return trim(v, 2);
  }

  function trim(v, digits) {
    return v.toFixed(digits).replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
  }

  function fmtInt(v) {
    if (v === null || v === undefined || isNaN(v)) return '–';
    return Math.round(v).toLocaleString('en-US');
  }

  function fmtRate(v) {
    return fmt(v) + '/s';
  }

  function fmtSeconds(s) {
    if (s === null || s === undefined || isNaN(s)) return '–';
    if (s < 1) return trim(s, 1) + ' s';
    if (s < 60) return Math.round(s) + ' s';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + pad(Math.round(s % 60)) + 's';
    return Math.floor(s / 3600) + 'h ' + pad(Math.floor((s % 3600) / 60)) + 'm';
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  function clock(ms, seconds) {
    var d = new Date(ms);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + (seconds ? ':' + pad(d.getSeconds()) : '');
  }

  // ------------------------------------------------------------------ DOM helpers

  /** An element with attributes (className, text, or any attribute) and children (nodes or strings). */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined) return;
        if (k === 'className') el.className = v;
        else if (k === 'text') el.textContent = v;
        else el.setAttribute(k, v);
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(el, c); });
    else el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }

  function s(tag, attrs) {
    var el = document.createElementNS(SVG, tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') el.textContent = attrs[k];
      else el.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) el.appendChild(arguments[i]);
    return el;
  }

  function replace(id) {
    var el = document.getElementById(id);
    while (el.firstChild) el.removeChild(el.firstChild);
    for (var i = 1; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function table(headers, rows) {
    return h('table', null,
      h('thead', null, h('tr', null, headers.map(function (c) {
        return h('th', { className: c.num ? 'num' : null, text: c.label });
      }))),
      h('tbody', null, rows.map(function (r) {
        return h('tr', null, r.map(function (cell, i) {
          var td = h('td', { className: headers[i].num ? 'num' : (i === 0 ? 'name' : null) });
          append(td, cell);
          if (i === 0 && typeof cell === 'string') td.title = cell;
          return td;
        }));
      })));
  }

  function empty(text) {
    return h('p', { className: 'empty', text: text });
  }

  // ------------------------------------------------------------------ polling

  function schedule(ms) {
    setTimeout(poll, ms);
  }

  function poll() {
    var url = 'api/dashboard' + (state.lastT !== null ? '?since=' + state.lastT : '');
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, TIMEOUT_MS);
    fetch(url, { cache: 'no-store', signal: controller ? controller.signal : undefined })
      .then(function (res) {
        if (!res.ok) {
          return res.text().then(function (t) { throw new Error('HTTP ' + res.status + (t ? ': ' + t.slice(0, 120) : '')); });
        }
        return res.json();
      })
      .then(function (data) {
        clearTimeout(timer);
        state.failures = 0;
        apply(data);
        schedule(POLL_MS);
      })
      .catch(function (e) {
        clearTimeout(timer);
        state.failures++;
        state.errors++;
        var wait = Math.min(10000, POLL_MS * Math.pow(2, Math.min(state.failures - 1, 4)));
        showError(e, wait);
        schedule(wait);
      });
  }

  function apply(data) {
    state.skew = data.now - Date.now();
    if (data.capacity) state.capacity = data.capacity;
    if (data.intervalMs) state.intervalMs = data.intervalMs;
    var fresh = (data.samples || []).filter(function (x) { return state.lastT === null || x.t > state.lastT; });
    if (fresh.length) {
      state.samples = state.samples.concat(fresh);
      state.lastT = fresh[fresh.length - 1].t;
      var oldest = state.lastT - WINDOW_MS;
      var drop = 0;
      while (drop < state.samples.length && (state.samples[drop].t < oldest || state.samples.length - drop > state.capacity)) drop++;
      if (drop) state.samples = state.samples.slice(drop);
    }
    state.updated++;
    render();
  }

  function showError(e, wait) {
    var status = document.getElementById('status');
    status.className = 'status error';
    status.textContent = 'connection lost, retrying in ' + Math.round(wait / 1000) + ' s (' + (e && e.message ? e.message : e) + ')';
    document.body.dataset.state = 'error';
    document.body.dataset.errors = String(state.errors);
  }

  // ------------------------------------------------------------------ rendering

  function render() {
    var samples = state.samples;
    var body = document.body;
    body.dataset.updated = String(state.updated);
    body.dataset.samples = String(samples.length);
    body.dataset.errors = String(state.errors);
    var status = document.getElementById('status');
    if (!samples.length) {
      status.className = 'status waiting';
      status.textContent = 'waiting for data… (the first sample is taken within a second)';
      body.dataset.state = 'waiting';
      return;
    }
    var last = samples[samples.length - 1];
    var serverNow = Date.now() + state.skew;
    var age = serverNow - last.t;
    if (age > STALE_MS) {
      status.className = 'status stale';
      status.textContent = 'stale: no new sample for ' + fmtSeconds(age / 1000);
      body.dataset.state = 'stale';
    } else {
      status.className = 'status live';
      status.textContent = 'live';
      body.dataset.state = 'live';
    }
    var span = last.t - samples[0].t;
    document.getElementById('window').textContent = span >= 60000
      ? 'last ' + fmtSeconds(span / 1000).replace(/ 00s$/, '') : 'last ' + Math.round(span / 1000) + ' s';
    document.getElementById('updated').textContent = 'updated ' + clock(last.t, true);

    var maxDelivered = 0;
    samples.forEach(function (x) { maxDelivered = Math.max(maxDelivered, x.rates.pushesByOutcome.delivered || 0); });
    body.dataset.pushesTotal = String(Math.round(last.totals.pushesByOutcome.delivered || 0));
    body.dataset.pushesMaxRate = String(Math.round(maxDelivered * 1000) / 1000);
    body.dataset.eventsTotal = String(Math.round(last.totals.eventsIn));
    body.dataset.devicesTotal = String(Math.round(last.totals.devicesExpanded));
    body.dataset.deadLettersTotal = String(Math.round(last.totals.deadLetters));
    body.dataset.lanes = String(last.lag.length);
    body.dataset.lastSample = String(last.t);

    renderKpis(samples, last);
    renderCharts(samples, last);
    renderLagTable(last);
    renderJobs(samples, last);
    renderBackpressure(last);
    renderCoordinators(last);
    renderDeadLetters(samples, last);
    renderWorkerRates(samples, last);
    renderApps(samples, last);
  }

  /** The average of a rate over the last few samples (those with an interval), smoothing single-second spikes. */
  function recent(samples, pick, n) {
    var sum = 0, count = 0;
    for (var i = samples.length - 1; i >= 0 && count < (n || 5); i--) {
      if (samples[i].interval === null) continue;
      sum += pick(samples[i]) || 0;
      count++;
    }
    return count ? sum / count : 0;
  }

  function kpi(id, value, unit, sub, alert) {
    var el = document.getElementById(id);
    var v = el.querySelector('.kpi-value');
    while (v.firstChild) v.removeChild(v.firstChild);
    append(v, [value, unit ? h('small', { text: unit }) : null]);
    el.querySelector('.kpi-sub').textContent = sub;
    el.classList.toggle('alert', !!alert);
  }

  function renderKpis(samples, last) {
    kpi('kpi-events', fmt(recent(samples, function (x) { return x.rates.eventsIn; })), '/s', fmtInt(last.totals.eventsIn) + ' since start');
    kpi('kpi-devices', fmt(recent(samples, function (x) { return x.rates.devicesExpanded; })), '/s',
      fmtInt(last.totals.devicesExpanded) + ' since start · ' + fmtInt(last.totals.jobsStarted) + ' jobs');
    var notDelivered = last.totals.pushes - (last.totals.pushesByOutcome.delivered || 0);
    kpi('kpi-pushes', fmt(recent(samples, function (x) { return x.rates.pushesByOutcome.delivered; })), '/s',
      fmtInt(last.totals.pushesByOutcome.delivered) + ' since start' + (notDelivered > 0 ? ' · ' + fmtInt(notDelivered) + ' not delivered' : ''));
    var deadRate = recent(samples, function (x) { return x.rates.deadLetters; });
    kpi('kpi-dead', fmt(deadRate), '/s', fmtInt(last.totals.deadLetters) + ' since start', deadRate > 0);
    var worst = null;
    last.lag.forEach(function (l) { if (l.records !== null && (!worst || l.records > worst.records)) worst = l; });
    var oldest = 0;
    last.lag.forEach(function (l) { if (l.seconds !== null) oldest = Math.max(oldest, l.seconds); });
    if (worst) {
      kpi('kpi-lag', fmt(worst.records), ' records', 'oldest ' + fmtSeconds(oldest) + ' · ' + laneName(worst), oldest > 60);
    } else {
      kpi('kpi-lag', '–', '', 'no lag reading yet');
    }
    var inFlight = 0, paused = 0;
    last.workers.forEach(function (w) { inFlight += w.inFlight || 0; paused += w.pausedPartitions || 0; });
    var open = last.circuits.filter(function (c) { return c.state && c.state !== 'closed'; });
    kpi('kpi-inflight', last.workers.length ? fmt(inFlight) : '–', '',
      last.workers.length ? paused + ' paused partitions' + (open.length ? ' · circuit ' + open[0].name + ' ' + open[0].state.replace('_', ' ') : '')
        : 'no worker in this process', open.length > 0);
  }

  function laneName(l) {
    return l.topic.replace(/^pushline\./, '') + ' · ' + l.group.replace(/^pushline-/, '');
  }

  function laneKey(l) {
    return l.group + '\u0000' + l.topic;
  }

  // ------------------------------------------------------------------ charts

  function renderCharts(samples, last) {
    var times = samples.map(function (x) { return x.t; });
    var tMax = last.t;
    var tMin = Math.min(samples[0].t, tMax - MIN_SPAN_MS);
    tMin = Math.max(tMin, tMax - WINDOW_MS);
    var base = { times: times, tMin: tMin, tMax: tMax, gapMs: state.intervalMs * 3.5 };
    var rate = function (f) { return samples.map(function (x) { return x.interval === null ? null : f(x); }); };

    var avg = function (f) { return recent(samples, f); };
    chart('chart-events', extend(base, { small: true, title: 'Events in', unit: '/s', format: fmtRate,
      current: avg(function (x) { return x.rates.eventsIn; }),
      series: [{ label: 'events in', color: PALETTE[0], values: rate(function (x) { return x.rates.eventsIn; }) }] }));
    chart('chart-devices', extend(base, { small: true, title: 'Devices expanded', unit: '/s', format: fmtRate,
      current: avg(function (x) { return x.rates.devicesExpanded; }),
      series: [{ label: 'devices expanded', color: PALETTE[4], values: rate(function (x) { return x.rates.devicesExpanded; }) }] }));
    chart('chart-delivered', extend(base, { small: true, title: 'Pushes delivered', unit: '/s', format: fmtRate,
      current: avg(function (x) { return x.rates.pushesByOutcome.delivered; }),
      series: [{ label: 'pushes delivered', color: OUTCOME_COLORS.delivered, values: rate(function (x) { return x.rates.pushesByOutcome.delivered; }) }] }));
    chart('chart-dead', extend(base, { small: true, title: 'Dead letters', unit: '/s', format: fmtRate,
      current: avg(function (x) { return x.rates.deadLetters; }),
      series: [{ label: 'dead letters', color: PALETTE[5], values: rate(function (x) { return x.rates.deadLetters; }) }] }));

    var outcomes = [];
    samples.forEach(function (x) {
      Object.keys(x.rates.pushesByOutcome).forEach(function (o) { if (outcomes.indexOf(o) < 0) outcomes.push(o); });
    });
    var outcomeSeries = outcomes.map(function (o, i) {
      return { label: o, color: OUTCOME_COLORS[o] || PALETTE[(i + 3) % PALETTE.length],
        values: rate(function (x) { return x.rates.pushesByOutcome[o] || 0; }) };
    });
    chart('chart-outcomes', extend(base, { stacked: true, unit: 'pushes/s', format: fmtRate, series: outcomeSeries }));
    legend('legend-outcomes', outcomeSeries, fmtRate);

    var lanes = {};
    samples.forEach(function (x) {
      x.lag.forEach(function (l) {
        var k = laneKey(l);
        var lane = lanes[k] || (lanes[k] = { label: laneName(l), maxRecords: 0, maxSeconds: 0, key: k });
        lane.maxRecords = Math.max(lane.maxRecords, l.records || 0);
        lane.maxSeconds = Math.max(lane.maxSeconds, l.seconds || 0);
      });
    });
    var laneList = Object.keys(lanes).map(function (k) { return lanes[k]; });
    laneList.sort(function (a, b) { return b.maxRecords - a.maxRecords || a.label.localeCompare(b.label); });
    laneList.forEach(function (l, i) { l.color = PALETTE[i % PALETTE.length]; });
    var lagValues = function (field) {
      return laneList.map(function (lane) {
        return { label: lane.label, color: lane.color, max: field === 'records' ? lane.maxRecords : lane.maxSeconds,
          values: samples.map(function (x) {
            for (var i = 0; i < x.lag.length; i++) if (laneKey(x.lag[i]) === lane.key) return x.lag[i][field];
            return null;
          }) };
      });
    };
    var recordSeries = lagValues('records');
    var secondSeries = lagValues('seconds');
    chart('chart-lag-records', extend(base, { unit: 'records', format: fmt, series: top(recordSeries, 8),
      emptyText: 'no consumer lag reading yet (read every few seconds)' }));
    chart('chart-lag-seconds', extend(base, { unit: 'seconds', format: fmtSeconds, series: top(secondSeries, 8),
      emptyText: 'no consumer lag reading yet (read every few seconds)' }));
    legend('legend-lag-records', recordSeries, fmt, 8);
    legend('legend-lag-seconds', secondSeries, fmtSeconds, 8);
  }

  function top(series, n) {
    return series.slice(0, n);
  }

  function extend(a, b) {
    var out = {};
    Object.keys(a).forEach(function (k) { out[k] = a[k]; });
    Object.keys(b).forEach(function (k) { out[k] = b[k]; });
    return out;
  }

  function lastValue(values) {
    for (var i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i];
    return null;
  }

  function legend(id, series, format, limit) {
    var shown = series.slice(0, limit || series.length);
    var el = replace(id, shown.map(function (sr) {
      return h('span', { className: 'item', title: sr.label },
        swatch(sr.color), sr.label + ' ', h('b', { text: format(lastValue(sr.values)) }));
    }));
    if (series.length > shown.length) {
      append(el, h('span', { className: 'item', text: '+' + (series.length - shown.length) + ' more, all lower' }));
    }
  }

  function swatch(color) {
    var sw = h('span', { className: 'swatch' });
    sw.style.background = color;
    return sw;
  }

  /** Nice round ticks from 0 to at least max; for durations, steps a clock reader likes (15 s, 1 min, 5 min, ...). */
  function niceTicks(max, count, durations) {
    if (!(max > 0)) max = 1;
    var raw = max / count;
    var step;
    if (durations && raw > 5) {
      step = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].filter(function (st) { return st >= raw; })[0] || 3600 * Math.ceil(raw / 3600);
    } else {
      var mag = Math.pow(10, Math.floor(Math.log10(raw)));
      step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; }).filter(function (st) { return st >= raw; })[0];
    }
    var top = Math.ceil(max / step - 1e-9) * step;
    var ticks = [];
    for (var v = 0; v <= top + step / 2; v += step) ticks.push(v);
    return { max: top, ticks: ticks };
  }

  function tickSeconds(v) {
    if (v < 60) return trim(v, 1) + 's';
    if (v < 3600) return (v % 60 ? Math.floor(v / 60) + 'm' + pad(Math.round(v % 60)) + 's' : v / 60 + 'm');
    return (v % 3600 ? trim(v / 3600, 1) : v / 3600) + 'h';
  }

  function timeStep(spanMs, width) {
    var steps = [10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3];
    var most = Math.max(2, Math.floor(width / 70));
    for (var i = 0; i < steps.length; i++) if (spanMs / steps[i] <= most) return steps[i];
    return steps[steps.length - 1];
  }

  /** Draws (or redraws) a time-series chart of spec.series into the element; stacked as areas if spec.stacked. */
  function chart(id, spec) {
    var el = document.getElementById(id);
    state.charts[id] = spec;
    var w = el.clientWidth || 480, ht = el.clientHeight || 190;
    var m = { l: 50, r: 12, t: spec.small ? 24 : 20, b: 20 };
    var pw = Math.max(10, w - m.l - m.r), ph = Math.max(10, ht - m.t - m.b);
    var n = spec.times.length;
    el.classList.toggle('no-data', !spec.series.length);
    if (spec.emptyText) el.dataset.empty = spec.emptyText;
    if (!spec.series.length) {
      while (el.firstChild) el.removeChild(el.firstChild);
      return;
    }
    var stacks = [];
    var maxV = 0;
    var acc = new Array(n).fill(0);
    spec.series.forEach(function (sr) {
      var lower = acc.slice();
      var upper = sr.values.map(function (v, i) { return spec.stacked ? acc[i] + (v || 0) : v; });
      if (spec.stacked) acc = upper.slice();
      upper.forEach(function (v) { if (v !== null && v > maxV) maxV = v; });
      stacks.push({ lower: lower, upper: upper });
    });
    var yt = niceTicks(maxV, spec.small ? 2 : 4, spec.format === fmtSeconds);
    var x = function (t) { return m.l + (t - spec.tMin) / (spec.tMax - spec.tMin) * pw; };
    var y = function (v) { return m.t + ph - (v / yt.max) * ph; };

    var svg = s('svg', { viewBox: '0 0 ' + w + ' ' + ht, role: 'img', 'aria-label': (spec.title || id) + ' over time' });
    var axis = s('g', { 'class': 'axis' });
    yt.ticks.forEach(function (v) {
      axis.appendChild(s('line', { x1: m.l, x2: m.l + pw, y1: y(v), y2: y(v), 'class': v === 0 ? 'base' : '' }));
      axis.appendChild(s('text', { x: m.l - 6, y: y(v) + 3.5, 'text-anchor': 'end', text: spec.format === fmtSeconds ? tickSeconds(v) : fmt(v) }));
    });
    var step = timeStep(spec.tMax - spec.tMin, pw);
    var first = Math.ceil(spec.tMin / step) * step;
    for (var t = first; t <= spec.tMax; t += step) {
      var px = x(t);
      axis.appendChild(s('line', { x1: px, x2: px, y1: m.t + ph, y2: m.t + ph + 4, 'class': 'base' }));
      if (px > m.l + 18 && px < m.l + pw - 18) {
        axis.appendChild(s('text', { x: px, y: m.t + ph + 15, 'text-anchor': 'middle', text: clock(t, step < 60000) }));
      }
    }
    svg.appendChild(axis);
    svg.appendChild(s('text', { 'class': 'unit', x: m.l - 6, y: spec.small ? 15 : m.t - 4, 'text-anchor': 'end', text: spec.unit }));
    if (spec.small) {
      svg.appendChild(s('text', { 'class': 'title', x: m.l, y: 15, text: spec.title }));
      var cur = spec.current !== undefined ? spec.current : lastValue(spec.series[0].values);
      svg.appendChild(s('text', { 'class': 'current', x: m.l + pw, y: 15, 'text-anchor': 'end', fill: spec.series[0].color,
        text: spec.format(cur) }));
    }

    var segments = function (values, fn) {
      // Splits at missing values and at gaps in time (a restart, missed samples).
      var runs = [], run = [];
      for (var i = 0; i < n; i++) {
        var v = values[i];
        var gap = i > 0 && spec.times[i] - spec.times[i - 1] > spec.gapMs;
        if (v === null || v === undefined || gap) {
          if (run.length) runs.push(run);
          run = [];
          if (v === null || v === undefined) continue;
        }
        run.push(i);
      }
      if (run.length) runs.push(run);
      return runs.map(fn).join(' ');
    };
    spec.series.forEach(function (sr, k) {
      var st = stacks[k];
      if (spec.stacked) {
        var d = segments(st.upper, function (run) {
          var top = run.map(function (i, j) { return (j ? 'L' : 'M') + x(spec.times[i]).toFixed(1) + ',' + y(st.upper[i]).toFixed(1); }).join('');
          var bottom = run.slice().reverse().map(function (i) { return 'L' + x(spec.times[i]).toFixed(1) + ',' + y(st.lower[i]).toFixed(1); }).join('');
          return top + bottom + 'Z';
        });
        if (d) svg.appendChild(s('path', { d: d, 'class': 'area', fill: sr.color }));
      } else {
        var line = segments(st.upper, function (run) {
          if (run.length === 1) {
            var i0 = run[0];
            return 'M' + (x(spec.times[i0]) - 1.5).toFixed(1) + ',' + y(st.upper[i0]).toFixed(1) + 'h3';
          }
          return run.map(function (i, j) { return (j ? 'L' : 'M') + x(spec.times[i]).toFixed(1) + ',' + y(st.upper[i]).toFixed(1); }).join('');
        });
        if (line) svg.appendChild(s('path', { d: line, 'class': 'series', stroke: sr.color }));
      }
    });
    var cursor = s('line', { 'class': 'cursor', x1: 0, x2: 0, y1: m.t, y2: m.t + ph, visibility: 'hidden' });
    svg.appendChild(cursor);
    var hit = s('rect', { x: m.l, y: m.t, width: pw, height: ph, fill: 'transparent' });
    svg.appendChild(hit);
    while (el.firstChild) el.removeChild(el.firstChild);
    el.appendChild(svg);

    var show = function (clientX, clientY) {
      var box = svg.getBoundingClientRect();
      var px = (clientX - box.left) * (w / box.width);
      var t = spec.tMin + (px - m.l) / pw * (spec.tMax - spec.tMin);
      var i = nearest(spec.times, t);
      if (i < 0) return;
      cursor.setAttribute('x1', x(spec.times[i]));
      cursor.setAttribute('x2', x(spec.times[i]));
      cursor.setAttribute('visibility', 'visible');
      tooltip(clientX, clientY, spec, i);
    };
    hit.addEventListener('mousemove', function (e) { el.hover = [e.clientX, e.clientY]; show(e.clientX, e.clientY); });
    hit.addEventListener('mouseleave', function () { el.hover = null; cursor.setAttribute('visibility', 'hidden'); hideTooltip(); });
    if (el.hover) show(el.hover[0], el.hover[1]);
  }

  function nearest(times, t) {
    if (!times.length) return -1;
    var lo = 0, hi = times.length - 1;
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      if (times[mid] < t) lo = mid; else hi = mid;
    }
    return Math.abs(times[lo] - t) <= Math.abs(times[hi] - t) ? lo : hi;
  }

  function tooltip(clientX, clientY, spec, i) {
    var tip = document.getElementById('tooltip');
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    append(tip, h('div', { className: 't', text: clock(spec.times[i], true) }));
    spec.series.slice().reverse().forEach(function (sr) {
      append(tip, h('div', { className: 'row' }, swatch(sr.color), sr.label, h('span', { className: 'v', text: spec.format(sr.values[i]) })));
    });
    tip.hidden = false;
    var left = clientX + 14, topPx = clientY + 12;
    var r = tip.getBoundingClientRect();
    if (left + r.width > window.innerWidth - 8) left = clientX - r.width - 14;
    if (topPx + r.height > window.innerHeight - 8) topPx = clientY - r.height - 12;
    tip.style.left = left + 'px';
    tip.style.top = topPx + 'px';
  }

  function hideTooltip() {
    document.getElementById('tooltip').hidden = true;
  }

  // ------------------------------------------------------------------ tables and bars

  function renderLagTable(last) {
    if (!last.lag.length) {
      replace('lag-table', empty('no consumer lag reading yet (it is read every few seconds)'));
      return;
    }
    var rows = last.lag.slice().sort(function (a, b) {
      return (b.records || 0) - (a.records || 0) || laneName(a).localeCompare(laneName(b));
    }).map(function (l) {
      var age = h('span', { text: fmtSeconds(l.seconds), className: l.seconds > 60 ? 'bad-text' : (l.seconds > 5 ? 'warn-text' : null) });
      return [h('div', { className: 'lane', title: l.topic + ' · ' + l.group }, h('div', { text: l.topic.replace(/^pushline\./, '') }),
        h('div', { className: 'sub', text: l.group })),
        String(l.partitions), fmtInt(l.records), age];
    });
    replace('lag-table', table([{ label: 'topic · group' }, { label: 'partitions', num: true }, { label: 'records', num: true },
      { label: 'oldest', num: true }], rows));
  }

  function renderJobs(samples, last) {
    // Running jobs are in the newest sample; a job seen earlier but no longer there has finished (or moved away).
    var seen = {};
    var order = [];
    samples.forEach(function (x, idx) {
      x.jobs.forEach(function (j) {
        if (!seen[j.eventId]) order.push(j.eventId);
        seen[j.eventId] = { job: j, index: idx, t: x.t };
      });
    });
    var running = last.jobs.map(function (j) { return j.eventId; });
    var finished = order.filter(function (id) { return running.indexOf(id) < 0; }).reverse().slice(0, Math.max(0, 6 - running.length));
    document.body.dataset.jobs = String(running.length + finished.length);
    if (!running.length && !finished.length) {
      var peak = 0;
      samples.forEach(function (x) { peak = Math.max(peak, x.rates.devicesExpanded); });
      replace('jobs', empty('no fanout job running'),
        table([{ label: 'since start' }, { label: '', num: true }], [
          ['jobs started (one per post and partition)', fmtInt(last.totals.jobsStarted)],
          ['jobs expanded to the end', fmtInt(last.totals.jobsFinished)],
          ['devices expanded', fmtInt(last.totals.devicesExpanded)],
          ['peak expansion rate (last 10 minutes)', fmtRate(peak)]]),
        h('p', { className: 'note', text: 'A job shows here while it runs; one done within a second may never show.' }));
      return;
    }
    var items = running.concat(finished).map(function (id) {
      var entry = seen[id];
      var j = entry.job;
      var isRunning = running.indexOf(id) >= 0;
      var fraction = j.followers ? Math.min(1, j.followersDone / j.followers) : (isRunning ? 0 : 1);
      if (!isRunning) fraction = 1;
      var bar = h('span');
      bar.style.width = (fraction * 100).toFixed(1) + '%';
      var devicesPerSecond = jobRate(samples, id);
      var left, right;
      if (isRunning) {
        left = fmtInt(j.followersDone) + ' / ' + (j.followers === null ? '?' : fmtInt(j.followers)) + ' followers · '
          + fmtInt(j.devices) + ' devices' + (devicesPerSecond !== null ? ' · ' + fmtRate(devicesPerSecond) : '');
        right = j.etaSeconds === null ? 'ETA –' : 'ETA ' + fmtSeconds(j.etaSeconds);
      } else {
        left = 'finished · ≥ ' + fmtInt(j.devices) + ' devices, ' + (j.followers === null ? '' : fmtInt(j.followers) + ' followers');
        right = 'at ' + clock(entry.t, true);
      }
      return h('div', { className: 'job' + (isRunning ? '' : ' finished') },
        h('div', { className: 'job-head' },
          h('span', { className: 'who', text: j.author || 'unknown author' }),
          h('span', { className: 'id', title: j.eventId, text: j.eventId }),
          h('span', { text: Math.round(fraction * 100) + '%' })),
        h('div', { className: 'bar' }, bar),
        h('div', { className: 'job-foot' }, h('span', { text: left }),
          h('span', { text: right + (isRunning ? ' · ' + j.partitionsRunning + '/' + j.partitions + ' partitions' : '') })));
    });
    replace('jobs', items);
  }

  function jobRate(samples, id) {
    var latest = null, earlier = null;
    for (var i = samples.length - 1; i >= 0 && i >= samples.length - 6; i--) {
      var j = samples[i].jobs.filter(function (x) { return x.eventId === id; })[0];
      if (!j) break;
      if (!latest) latest = { d: j.devices, t: samples[i].t };
      earlier = { d: j.devices, t: samples[i].t };
    }
    if (!latest || !earlier || latest.t === earlier.t) return null;
    return Math.max(0, latest.d - earlier.d) / ((latest.t - earlier.t) / 1000);
  }

  function renderBackpressure(last) {
    var parts = [];
    if (last.workers.length) {
      parts.push(h('div', { className: 'sub-title', text: 'Workers' }));
      parts.push(table([{ label: 'lane' }, { label: 'pushes', num: true }, { label: 'in flight', num: true },
        { label: 'paused partitions', num: true }, { label: 'retries waiting', num: true }],
        last.workers.map(function (w) {
          return [w.lane, fmtRate(last.rates.pushesByLane[w.lane] || 0), fmt(w.inFlight),
            h('span', { className: w.pausedPartitions > 0 ? 'warn-text' : null, text: fmt(w.pausedPartitions) }), fmt(w.retriesWaiting)];
        })));
    }
    if (last.circuits.length) {
      parts.push(h('div', { className: 'sub-title', text: 'Circuit breakers' }));
      parts.push(table([{ label: 'circuit' }, { label: 'state' }, { label: 'failure rate', num: true }],
        last.circuits.map(function (c) {
          var st = c.state || 'unknown';
          return [c.name, h('span', { className: 'pill ' + st, text: st.replace('_', ' ') }),
            c.failureRate === null || c.failureRate < 0 ? '–' : trim(c.failureRate, 1) + ' %'];
        })));
    }
    if (last.providers.length) {
      parts.push(h('div', { className: 'sub-title', text: 'Providers' }));
      parts.push(table([{ label: 'platform' }, { label: 'in flight', num: true }, { label: 'queued', num: true }],
        last.providers.map(function (p) {
          return [p.platform, fmt(p.inFlight), h('span', { className: p.queued > 0 ? 'warn-text' : null, text: fmt(p.queued) })];
        })));
    }
    var gate = last.gate || {};
    if (gate.bulkLimit !== null && gate.bulkLimit !== undefined || gate.expansionHeld !== null && gate.expansionHeld !== undefined) {
      parts.push(h('div', { className: 'sub-title', text: 'Gates' }));
      var gates = [];
      if (gate.bulkLimit !== null && gate.bulkLimit !== undefined) {
        gates.push(['bulk lane in-flight limit', fmt(gate.bulkLimit)]);
      }
      if (gate.expansionHeld !== null && gate.expansionHeld !== undefined) {
        gates.push(['fanout expansion', gate.expansionHeld > 0
          ? h('span', { className: 'warn-text', text: 'held (bulk backlog ' + fmt(gate.expansionBacklog) + ')' })
          : 'running' + (gate.expansionBacklog !== null && gate.expansionBacklog !== undefined ? ' (bulk backlog ' + fmt(gate.expansionBacklog) + ')' : '')]);
      }
      parts.push(table([{ label: 'gate' }, { label: 'now', num: true }], gates));
    }
    replace('backpressure', parts.length ? parts : empty('no worker nor provider in this process'));
  }

  function renderCoordinators(last) {
    var parts = [];
    // Only the states someone waits in: a flow has many, and a healthy run has (almost) nobody waiting in any.
    var waiting = last.coordinators.states.filter(function (c) { return c.count > 0; });
    waiting.sort(function (a, b) { return b.count - a.count || a.flow.localeCompare(b.flow) || a.state.localeCompare(b.state); });
    parts.push(h('div', { className: 'sub-title', text: 'Waiting now' }));
    if (waiting.length) {
      parts.push(table([{ label: 'flow' }, { label: 'state' }, { label: 'coordinators', num: true }],
        waiting.map(function (c) {
          return [c.flow, h('span', { className: c.state === 'PARKED' ? 'bad-text' : null, text: c.state.toLowerCase().replace(/_/g, ' ') }),
            fmtInt(c.count)];
        })));
    } else {
      parts.push(h('p', { className: 'empty', text: 'none waiting for a retry or parked' }));
    }
    var flowsStarted = Object.keys(last.totals.coordinatorsStartedByFlow);
    parts.push(h('div', { className: 'sub-title', text: 'Started' }));
    if (flowsStarted.length) {
      parts.push(table([{ label: 'flow' }, { label: 'now', num: true }, { label: 'since start', num: true }],
        flowsStarted.map(function (f) {
          return [f, fmtRate(last.rates.coordinatorsStartedByFlow[f] || 0), fmtInt(last.totals.coordinatorsStartedByFlow[f])];
        })));
    } else {
      parts.push(h('p', { className: 'empty', text: 'none started yet' }));
    }
    var parked = last.coordinators.parked;
    parts.push(h('div', { className: 'sub-title', text: 'Parked · transitions' }));
    parts.push(h('div', null,
      h('span', { className: 'big-number' + (parked > 0 ? ' bad-text' : ''), text: parked === null ? '–' : fmtInt(parked) }),
      h('span', { className: 'sub', text: ' parked · ' + fmtRate(last.rates.coordinatorTransitions) + ' transitions, '
        + fmtInt(last.totals.coordinatorTransitions) + ' since start' })));
    replace('coordinators', parts);
  }

  function renderDeadLetters(samples, last) {
    var reasons = Object.keys(last.totals.deadLettersByReason).filter(function (r) { return last.totals.deadLettersByReason[r] > 0; });
    reasons.sort(function (a, b) { return last.totals.deadLettersByReason[b] - last.totals.deadLettersByReason[a]; });
    if (!reasons.length) {
      replace('dead-letters', empty('none since the process started'));
      return;
    }
    replace('dead-letters', table([{ label: 'reason' }, { label: 'now', num: true }, { label: 'since start', num: true }],
      reasons.map(function (r) {
        return [r, fmtRate(recent(samples, function (x) { return x.rates.deadLettersByReason[r]; })),
          fmtInt(last.totals.deadLettersByReason[r])];
      })));
  }

  function renderWorkerRates(samples, last) {
    var outcomes = Object.keys(last.totals.pushesByOutcome);
    var rows = outcomes.map(function (o) {
      return [h('span', null, swatch(OUTCOME_COLORS[o] || '#64748b'), ' ' + o),
        fmtRate(recent(samples, function (x) { return x.rates.pushesByOutcome[o]; })), fmtInt(last.totals.pushesByOutcome[o])];
    });
    rows.push(['retries', fmtRate(recent(samples, function (x) { return x.rates.retries; })), fmtInt(last.totals.retries)]);
    rows.push(['deduplicated (receipt found)', fmtRate(recent(samples, function (x) { return x.rates.deduplicated; })),
      fmtInt(last.totals.deduplicated)]);
    replace('worker-rates', table([{ label: 'pushes' }, { label: 'now', num: true }, { label: 'since start', num: true }], rows));
  }

  /** Each app's timeline pushes/s and share (averaged over the last few samples), queue wait and total. */
  function renderApps(samples, last) {
    var apps = last.apps || [];
    document.body.dataset.apps = String(apps.length);
    if (!apps.length) {
      replace('apps', empty('no timeline push expanded yet'));
      return;
    }
    var of = function (x, name) {
      var found = (x.apps || []).filter(function (a) { return a.app === name; });
      return found.length ? found[0] : null;
    };
    replace('apps', table([{ label: 'app' }, { label: 'pushes/s', num: true }, { label: 'share', num: true },
      { label: 'queue wait', num: true }, { label: 'since start', num: true }],
      apps.map(function (a) {
        var share = recent(samples, function (x) { var y = of(x, a.app); return y && y.share !== null ? y.share : 0; });
        return [a.app, fmtRate(recent(samples, function (x) { var y = of(x, a.app); return y ? y.pushesPerSec : 0; })),
          Math.round(share * 100) + ' %',
          a.waitSeconds === null ? '–' : a.waitSeconds < 1 ? Math.round(a.waitSeconds * 1000) + ' ms' : fmtSeconds(a.waitSeconds),
          fmtInt(a.pushes)];
      })));
  }

  // ------------------------------------------------------------------ start

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (state.samples.length) render(); }, 150);
  });
  poll();
})();
