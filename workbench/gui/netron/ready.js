// Polled from Python until Netron has rendered (workbench/gui/netron/view.py): the graph is drawn, the
// selection hook and the node-sidebar guard are in place, and the QWebChannel bridge is connected.
(function () {
  try {
    var v = window.__view__;
    var body = document.body;
    if (window.__wb_hook) window.__wb_hook();
    var cls = body ? body.className : '';
    var msg = document.getElementById('message-text');
    return JSON.stringify({ready: !!(v && v.target && v.target.__wbHooked && v.__wbQuiet) && !!body &&
                                  body.classList.contains('default'),
                           classes: cls, message: msg ? msg.innerText : '', bridge: !!window.__wb});
  } catch (e) { return JSON.stringify({ready: false, error: String(e)}); }
})()
