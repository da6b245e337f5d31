/* The query page: YASGUI on our own /sparql, talking to no other host.
 *
 * Configuration (endpoint, prefixes, example queries) comes from the JSON block
 * #query-ui-config that the server writes into the page.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("query-ui-config").textContent);
  var Yasgui = window.Yasgui;
  var Yasqe = Yasgui.Yasqe;

  // --- No requests to other hosts ----------------------------------------------------
  // YASQE's stock autocompleters fetch prefix.cc ("prefixes") and the LOV API ("class",
  // "property"). Neuter them all, and complete prefixes from our own list instead.
  Object.keys(Yasqe.Autocompleters).forEach(function (name) {
    if (name !== "variables") {
      Yasqe.Autocompleters[name] = Object.assign({}, Yasqe.Autocompleters[name], {
        get: function () { return []; },
      });
    }
  });
  var prefixList = Object.keys(config.prefixes).map(function (prefix) {
    return prefix + ": <" + config.prefixes[prefix] + ">";
  });
  Yasqe.forkAutocompleter(
    "prefixes",
    { name: "localPrefixes", bulk: true, get: prefixList, persistenceId: null },
    false
  );
  var completers = ["localPrefixes", "variables"];
  Yasqe.defaults.autocompleters = completers.slice();
  Yasqe.defaults.prefixCcApi = "";
  Yasgui.defaults.yasqe.autocompleters = completers.slice();
  Yasgui.defaults.yasqe.prefixCcApi = "";
  // Only our endpoint in the endpoint picker (the stock list names DBpedia and Wikidata).
  var catalogue = [{ endpoint: config.endpoint }];

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: {
      endpoint: config.endpoint, // relative: the host and port the page came from
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "text/turtle",
    },
    endpointCatalogueOptions: {
      getData: function () { return catalogue; },
    },
    copyEndpointOnNewTab: false,
    corsProxy: undefined,
    tabName: "Query",
    yasqe: {
      value: config.examples[0].query,
      autocompleters: completers.slice(),
      prefixCcApi: "",
      createShortLink: undefined,
    },
    yasr: { prefixes: config.prefixes },
  });

  // --- The truncation note ------------------------------------------------------------
  // The endpoint caps result rows; when it does, it says so in X-SPARQL-Truncated: true
  // and X-SPARQL-Max-Rows: N. Show that next to the results, where nobody can miss it.
  var hooked = typeof WeakSet === "function" ? new WeakSet() : null;

  function headerOf(response, name) {
    var res = response && response.header ? response : response && response.response;
    if (!res) return null;
    if (res.header && res.header[name] !== undefined) return String(res.header[name]);
    if (res.xhr && res.xhr.getResponseHeader) return res.xhr.getResponseHeader(name);
    return null;
  }

  function showTruncation(tab, response) {
    var yasr = tab.getYasr();
    if (!yasr) return;
    var note = yasr.rootEl.querySelector(".sparql-truncated");
    var truncated = (headerOf(response, "x-sparql-truncated") || "").toLowerCase() === "true";
    if (!truncated) {
      if (note) note.parentNode.removeChild(note);
      return;
    }
    if (!note) {
      note = document.createElement("div");
      note.className = "sparql-truncated";
      note.setAttribute("role", "status");
      yasr.rootEl.insertBefore(note, yasr.resultsEl);
    }
    var max = headerOf(response, "x-sparql-max-rows");
    note.textContent = max
      ? "Results truncated at " + max + " rows (the endpoint's limit). " +
        "Narrow the query or page through it with LIMIT and OFFSET."
      : "Results truncated by the endpoint's row limit.";
  }

  function hook(tab) {
    var yasqe = tab && tab.getYasqe();
    if (!yasqe || (hooked && hooked.has(yasqe)) || yasqe.__truncationHook) return;
    if (hooked) hooked.add(yasqe);
    yasqe.__truncationHook = true;
    yasqe.on("queryResponse", function (_yasqe, response) {
      showTruncation(tab, response);
    });
  }

  // "query" fires when the request is sent, before its response: early enough to listen.
  yasgui.on("query", function (_yasgui, tab) { hook(tab); });
  Object.keys(yasgui._tabs).forEach(function (id) { hook(yasgui._tabs[id]); });

  // --- Example queries ---------------------------------------------------------------
  function openExample(index) {
    var example = config.examples[index];
    var tabs = Object.keys(yasgui._tabs).map(function (id) { return yasgui._tabs[id]; });
    for (var i = 0; i < tabs.length; i++) {
      if (tabs[i].getName() === example.name && tabs[i].getQuery() === example.query) {
        yasgui.selectTabId(tabs[i].getId());
        return tabs[i];
      }
    }
    var tab = yasgui.addTab(true, {
      name: yasgui.createTabName(example.name),
      yasqe: { value: example.query },
      requestConfig: { endpoint: config.endpoint },
    });
    hook(tab);
    return tab;
  }

  var list = document.getElementById("query-examples");
  if (list) {
    config.examples.forEach(function (example, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = example.name;
      button.title = example.description;
      button.addEventListener("click", function () { openExample(index); });
      list.appendChild(button);
    });
  }

  window.queryUI = { yasgui: yasgui, config: config, openExample: openExample };
})();
