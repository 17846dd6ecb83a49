// Herald dashboard: the progressive part. Every page works without it; with it, charts are drawn
// (uPlot), live figures follow Server-Sent Events, and the log can follow new lines.
(function () {
  'use strict';
  var charts = {};
  var PALETTE = ['#1f5fbf', '#b04a00', '#17803d', '#a11d4a', '#6b3fa0', '#00707a', '#8a6d00', '#4d4d4d'];
  var number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

  function tone(status) {
    if (/^(delivered|sent|active|dispatched|closed|completed|done)$/.test(status)) return 'ok';
    if (/^(failed|undelivered|rejected|open|expired|error)$/.test(status)) return 'bad';
    if (/^(paused|cancelled|half-open|warn)$/.test(status)) return 'warn';
    return 'info';
  }

  function drawChart(el) {
    if (!window.uPlot) return;
    var source = document.getElementById(el.getAttribute('data-source'));
    if (!source) return;
    var d = JSON.parse(source.textContent);
    var series = [{}].concat(d.series.map(function (s, i) {
      return { label: s.label, stroke: PALETTE[i % PALETTE.length], width: 2, points: { show: d.x.length < 60 } };
    }));
    var width = function () { return Math.max(240, el.clientWidth || 600); };
    var plot = new window.uPlot(
      { width: width(), height: 220, series: series, scales: { x: { time: true } }, legend: { live: false } },
      [d.x].concat(d.series.map(function (s) { return s.values; })),
      el
    );
    charts[el.getAttribute('data-chart')] = plot;
    if (window.ResizeObserver) new ResizeObserver(function () { plot.setSize({ width: width(), height: 220 }); }).observe(el);
  }

  function setField(key, text) {
    var els = document.querySelectorAll('[data-field="' + CSS.escape(key) + '"]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.classList.contains('badge-live')) {
        var b = document.createElement('span');
        b.className = 'badge ' + tone(text);
        b.textContent = text;
        el.replaceChildren(b);
      } else if (el.textContent !== text) {
        el.textContent = text;
      }
    }
  }

  function liveOverview(root) {
    var es = new EventSource(root.getAttribute('data-live-overview'));
    es.addEventListener('overview', function (e) {
      var d = JSON.parse(e.data);
      Object.keys(d.fields).forEach(function (k) { setField(k, d.fields[k]); });
      if (charts['per-minute']) charts['per-minute'].setData([d.perMinute.hours, d.perMinute.values]);
    });
  }

  function liveBalance(el) {
    var es = new EventSource(el.getAttribute('data-live-balance'));
    es.addEventListener('balance', function (e) {
      var d = JSON.parse(e.data);
      el.textContent = d.balance === null ? 'unmetered' : number.format(d.balance);
    });
  }

  function followLog(box) {
    var state = document.getElementById('follow-state');
    var body = document.getElementById('log-lines');
    var es = null;
    box.addEventListener('change', function () {
      if (!box.checked) {
        if (es) es.close();
        es = null;
        state.textContent = 'stopped';
        return;
      }
      var url = box.getAttribute('data-follow');
      url += (url.indexOf('?') < 0 ? '?' : '&') + 'after=' + encodeURIComponent(box.getAttribute('data-after') || '0');
      es = new EventSource(url);
      state.textContent = 'following';
      es.addEventListener('lines', function (e) {
        var d = JSON.parse(e.data);
        box.setAttribute('data-after', String(d.after));
        var empty = body.querySelector('tr.empty');
        if (empty) empty.remove();
        // Rows rendered (and escaped) by the server, like the page itself.
        body.insertAdjacentHTML('beforeend', d.html);
        var last = body.lastElementChild;
        if (last && last.scrollIntoView) last.scrollIntoView({ block: 'nearest' });
      });
    });
  }

  function liveCampaigns(root) {
    var es = new EventSource(root.getAttribute('data-live-campaigns'));
    es.addEventListener('campaigns', function (e) {
      var d = JSON.parse(e.data);
      d.items.forEach(function (c) {
        var bar = document.querySelector('progress[data-campaign="' + CSS.escape(c.id) + '"]');
        if (bar) { bar.max = c.max; bar.value = c.value; }
        setField('campaign.' + c.id + '.status', c.status);
        setField('campaign.' + c.id + '.progress', c.text);
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var i;
    var els = document.querySelectorAll('[data-chart]');
    for (i = 0; i < els.length; i++) drawChart(els[i]);
    var ov = document.querySelector('[data-live-overview]');
    if (ov) liveOverview(ov);
    var bal = document.querySelector('[data-live-balance]');
    if (bal) liveBalance(bal);
    var follow = document.getElementById('follow');
    if (follow) followLog(follow);
    var camp = document.querySelector('[data-live-campaigns]');
    if (camp) liveCampaigns(camp);
  });
})();
