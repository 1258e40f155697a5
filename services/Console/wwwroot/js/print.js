// "Print this report": the button is hidden until this script runs, so without script nobody sees a button that does nothing
// (the browser's own Print still uses the print stylesheet).
(function () {
  'use strict';
  document.querySelectorAll('button[data-print]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () { window.print(); });
  });
})();
