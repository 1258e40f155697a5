// Live pages: regions marked data-src are fetched again when the server says a case changed
// (server-sent events from /live/cases), and every countdown ticks once a second.
(function () {
  'use strict';

  function formatSpan(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return d + 'd ' + h + 'h';
    if (h > 0) return h + 'h ' + m + 'm';
    if (m > 0) return m + 'm ' + sec + 's';
    return sec + 's';
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll('[data-due]').forEach(function (el) {
      var due = Date.parse(el.getAttribute('data-due'));
      if (isNaN(due)) return;
      var left = due - now;
      el.textContent = left >= 0 ? 'in ' + formatSpan(left) : 'overdue by ' + formatSpan(left);
      el.classList.toggle('late', left < 0);
    });
  }

  var pending = null;
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      document.querySelectorAll('[data-src]').forEach(function (region) {
        fetch(region.getAttribute('data-src'), { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
          .then(function (response) {
            if (!response.ok) throw new Error('HTTP ' + response.status);
            return response.text();
          })
          .then(function (html) { region.innerHTML = html; tick(); })
          .catch(function () { setState('Live updates paused: could not refresh. Retrying…'); });
      });
    }, 250);
  }

  function setState(text) {
    var el = document.getElementById('live-state');
    if (el) el.textContent = text;
  }

  tick();
  setInterval(tick, 1000);

  if (window.EventSource && document.querySelector('[data-src]')) {
    var source = new EventSource('/live/cases');
    source.addEventListener('open', function () { setState('Live: updates appear as they happen.'); refresh(); });
    source.addEventListener('case', refresh);
    source.addEventListener('error', function () { setState('Live updates reconnecting…'); });
  }
})();
