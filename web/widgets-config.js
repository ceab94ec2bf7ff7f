// Loaded on pages with widget snapshots, after RequireJS and before the widget manager.
(function () {
  // 1. Tell RequireJS where the vendored widget manager lives. Its bundles are AMD
  //    modules named "@jupyter-widgets/..."; webpack finds their fonts next to each
  //    module's URL, which RequireJS would otherwise resolve relative to the page
  //    (book/@jupyter-widgets/...), giving 404s on the static site.
  var root = document.documentElement.getAttribute("data-content_root") || "./";
  var dir = root + "vendor/html-manager";
  require.config({
    paths: {
      "@jupyter-widgets/html-manager/dist": dir,
      "@jupyter-widgets/html-manager": dir + "/html-manager",
      "@jupyter-widgets/base": dir + "/base",
      "@jupyter-widgets/base7": dir + "/base7",
      "@jupyter-widgets/controls": dir + "/controls",
      "@jupyter-widgets/controls7": dir + "/controls7",
    },
  });

  // 2. The widget manager typesets labels with MathJax 2's MathJax.Hub.Queue, which
  //    MathJax 3 (the book's) does not have, and it may do so before MathJax 3 has
  //    started. Whatever object becomes window.MathJax gets a small Hub whose Queue
  //    typesets with MathJax 3 once it is ready.
  var hub = {
    Queue: function (job) {
      var mj = window.MathJax;
      var element = job && job[2];
      if (mj && mj.startup && mj.startup.promise && mj.typesetPromise) {
        mj.startup.promise.then(function () {
          return mj.typesetPromise(element ? [element] : undefined);
        });
      }
    },
  };
  var current = window.MathJax;
  if (current && !current.Hub) {
    current.Hub = hub; // before MathJax 3 has loaded, window.MathJax is Sphinx's config object
  }
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () {
      return current;
    },
    set: function (value) {
      current = value;
      if (value && typeof value === "object" && !value.Hub) {
        value.Hub = hub;
      }
    },
  });
})();
