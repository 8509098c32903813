// Runs at document ready, after qwebchannel.js (workbench/gui/netron/page.py). Connects to Python, hooks
// Netron's selection events on every new target, and keeps Netron's own node sidebar shut: node details are
// shown in the workbench's own pane. Checked against netron 9.3's view.js: a node click calls
// view.Graph.activate() -> view.Node.activate() -> view.View.showNodeProperties(), which opens the sidebar.
(function () {
  try {
    var describe = function (value) {
      var names = function (args) {
        var out = [];
        try {
          (args || []).forEach(function (a) {
            (a.value || []).forEach(function (v) { if (v && typeof v.name === 'string') out.push(v.name); });
          });
        } catch (e) {}
        return out;
      };
      return {name: value.name || '', type: (value.type && value.type.name) || '',
              inputs: names(value.inputs), outputs: names(value.outputs)};
    };
    var isNode = function (v) { return v && Array.isArray(v.inputs) && Array.isArray(v.outputs) && v.type; };
    window.__wb_selected = function () {
      var out = [];
      try {
        var t = window.__view__ && window.__view__.target;
        if (t && t._selection) {
          t._selection.forEach(function (el) { if (el && isNode(el.value)) out.push(describe(el.value)); });
        }
      } catch (e) {}
      return out;
    };
    window.__wb_find = function (key) {
      var t = window.__view__ && window.__view__.target;
      if (!t || !t._table) return null;
      var byOutput = null;
      var found = null;
      t._table.forEach(function (el, value) {
        if (found || !isNode(value)) return;
        if (value.name && value.name === key) { found = value; return; }
        if (!byOutput && !value.name) {
          var d = describe(value);
          if (d.outputs.length && d.outputs[0] === key) byOutput = value;
        }
      });
      return found || byOutput;
    };
    window.__wb_select = function (key) {
      try {
        hook();
        var t = window.__view__ && window.__view__.target;
        var value = window.__wb_find(key);
        if (!t || !value) return JSON.stringify({ok: false});
        t.scrollTo(t.select([value], 'workbench'));
        return JSON.stringify({ok: true, selected: window.__wb_selected()});
      } catch (e) { return JSON.stringify({ok: false, error: String(e)}); }
    };
    // Netron's sidebar as it is now: open (with its title) or shut.
    window.__wb_sidebar = function () {
      try {
        var v = window.__view__;
        var stack = (v && v._sidebar && v._sidebar._stack) || [];
        var top = stack.length ? stack[stack.length - 1] : null;
        var el = document.getElementById('sidebar');
        return JSON.stringify({open: stack.length > 0, title: top ? String(top.title || '') : '',
                               opacity: el ? String(el.style.opacity) : ''});
      } catch (e) { return JSON.stringify({open: null, error: String(e)}); }
    };
    // A node click (or Enter in Netron's Find list) selects the node but opens no "Node Properties" sidebar;
    // the instance's method shadows view.View.prototype.showNodeProperties. Model, graph and connection
    // properties (asked for by their own buttons) still open.
    var quiet = window.__wb_quiet = function () {
      try {
        var v = window.__view__;
        if (!v || v.__wbQuiet || typeof v.showNodeProperties !== 'function') return;
        v.__wbQuiet = true;
        v.showNodeProperties = function () {
          try {
            if (v._menu) v._menu.close();
          } catch (e) {}
        };
      } catch (e) {}
    };
    var hook = window.__wb_hook = function () {
      quiet();
      try {
        var t = window.__view__ && window.__view__.target;
        if (!t || t.__wbHooked || typeof t.on !== 'function') return;
        t.__wbHooked = true;
        var pending = null;
        t.on('selectionchange', function (sender, source) {
          // activate() clears, then selects: report the settled selection once per turn of the event loop.
          pending = String(source || '');
          window.setTimeout(function () {
            try {
              if (pending === null) return;
              var src = pending;
              pending = null;
              if (window.__wb) window.__wb.selection(JSON.stringify({source: src, nodes: window.__wb_selected()}));
            } catch (e) {}
          }, 0);
        });
      } catch (e) {}
    };
    var connect = function () {
      try {
        if (typeof QWebChannel === 'undefined' || typeof qt === 'undefined') return;
        new QWebChannel(qt.webChannelTransport, function (channel) {
          try { window.__wb = channel.objects.bridge; } catch (e) {}
        });
      } catch (e) {}
    };
    connect();
    window.setInterval(hook, 200);
  } catch (e) {}
})();
