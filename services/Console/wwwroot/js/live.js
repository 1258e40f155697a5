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

  // A region the person is working in is never replaced under their hands: not while a field in it has focus, nor
  // while anything typed or chosen in it differs from what the page came with (a reason half written would be lost).
  function changed(el) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') return false;
    if (el.type === 'checkbox' || el.type === 'radio') return el.checked !== el.defaultChecked;
    if (el.tagName === 'SELECT') return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    return el.value !== el.defaultValue;
  }

  function inUse(region) {
    var active = document.activeElement;
    if (active && region.contains(active) && active.matches('input, textarea, select')) return true;
    return Array.prototype.some.call(region.querySelectorAll('input, textarea, select'), changed);
  }

  function holdBack(region) {
    setState('New updates are waiting: they will appear when you have finished here.');
    if (region.getAttribute('data-held') === '1') return;
    region.setAttribute('data-held', '1');
    // Tried again once the person leaves the region (a submit navigates away anyway).
    region.addEventListener('focusout', function retry() {
      setTimeout(function () {
        if (inUse(region)) return;
        region.removeEventListener('focusout', retry);
        region.removeAttribute('data-held');
        refresh();
      }, 0);
    });
  }

  // A press in progress is work too: a region replaced between the press and the release swallows the click (the
  // two land on different elements), so a link clicked just as an update arrived would do nothing. Such a region
  // waits for the release, then the refresh runs (after the click has done its work).
  var pressed = null, deferredByPress = false;
  function pressedIn(region) { return pressed !== null && region.contains(pressed); }
  document.addEventListener('pointerdown', function (e) { pressed = e.target; }, true);
  function released() {
    setTimeout(function () {
      pressed = null;
      if (deferredByPress) { deferredByPress = false; refresh(); }
    }, 0);
  }
  document.addEventListener('pointerup', released, true);
  document.addEventListener('pointercancel', released, true);

  var pending = null;
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      document.querySelectorAll('[data-src]').forEach(function (region) {
        if (pressedIn(region)) { deferredByPress = true; return; }
        if (inUse(region)) { holdBack(region); return; }
        fetch(region.getAttribute('data-src'), { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
          .then(function (response) {
            if (!response.ok) throw new Error('HTTP ' + response.status);
            return response.text();
          })
          .then(function (html) {
            // Asked again: the person may have started typing, or pressed a link, while the answer was on its way.
            if (pressedIn(region)) { deferredByPress = true; return; }
            if (inUse(region)) { holdBack(region); return; }
            region.innerHTML = html;
            tick();
            setState('Live: updates appear as they happen.');
          })
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
    // Escalation writes a change's clocks up to half a second after the change reaches this page (it gathers a few
    // complaints' events into one transaction), so a region fetched at once may show the deadlines from before: it is
    // fetched once more when the changes have been quiet for a moment.
    var settle = null;
    source.addEventListener('case', function () {
      refresh();
      clearTimeout(settle);
      settle = setTimeout(refresh, 1500);
    });
    source.addEventListener('error', function () { setState('Live updates reconnecting…'); });
  }
})();
