// Applies the reader's saved display preferences before the first paint, so
// that a projector or a dark theme does not flash in after the modules load.
// A classic script, loaded in <head>: the modules are deferred.
(function () {
  var html = document.documentElement;
  try {
    var theme = localStorage.getItem('synack.theme');
    if (theme === 'light' || theme === 'dark') html.dataset.theme = theme;
    if (localStorage.getItem('synack.projector') === '1') html.classList.add('projector');
  } catch (e) {
    // Storage can be blocked (private windows, embedded frames): defaults then.
  }
})();
