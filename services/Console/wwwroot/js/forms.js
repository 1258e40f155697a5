// Forms: when the server sends a form back with mistakes, the summary of them takes the focus, so a
// screen reader reads it first and a phone scrolls to it.
(function () {
  'use strict';
  var summary = document.getElementById('error-summary');
  if (summary) summary.focus();
})();
