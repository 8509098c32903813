// Runs at document creation, before any of Netron's scripts (workbench/gui/netron/page.py).
// Must never throw: Netron replaces the page with "Script error." on any uncaught error.
(function () {
  try {
    // Netron's cookie-consent banner, pre-accepted.
    document.cookie = 'consent=' + Date.now() + ';path=/;max-age=' + (3650 * 86400);
  } catch (e) {}
  try {
    // browser.Host reads <meta name="date"> as its build date and stops 180 days later: read it as now.
    var desc = Object.getOwnPropertyDescriptor(HTMLMetaElement.prototype, 'content');
    Object.defineProperty(HTMLMetaElement.prototype, 'content', {
      configurable: true, enumerable: desc.enumerable,
      get: function () {
        try {
          if (this.getAttribute('name') === 'date') {
            return new Date().toISOString().slice(0, 19).replace('T', ' ');
          }
        } catch (e) {}
        return desc.get.call(this);
      },
      set: function (v) { desc.set.call(this, v); }
    });
  } catch (e) {}
})();
