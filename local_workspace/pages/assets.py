"""Static assets of the pages, kept in Python so they ship with the package without package-data settings.

`UI_BRIDGE_JS` is loaded by MLflow's index.html (see `bridge`); `PAGES_CSS` styles the workspace pages.
"""

UI_BRIDGE_JS = r"""// Served at /workspace-pages/static/ui-bridge.js and loaded by MLflow's index.html before its React app boots.
// 1. Databricks workspace URLs (what Airflow's links and run_page_url look like on Databricks) -> this workspace:
//    #mlflow/models/<name>/versions/<v> -> MLflow's #/models/<name>/versions/<v>, #job/<job>/run/<id> and
//    #job/runs/<id> -> the run page /jobs/runs/<id>.
// 2. On MLflow's model and model-version routes, a "Registry activity" link to the workspace's registry page.
// Only same-origin paths are built, from decoded-then-encoded segments; nothing is parsed as HTML.
(function () {
  "use strict";

  function segment(raw) {
    try {
      return encodeURIComponent(decodeURIComponent(raw));
    } catch (e) {
      return null; // malformed percent-encoding: leave the URL alone
    }
  }

  // Returns {hash: "#/..."} (stay in MLflow's app) or {path: "/..."} (a workspace page), or null.
  function translate(hash) {
    var m = /^#mlflow\/models\/([^\/?#]+)\/versions\/(\d+)\/?(?:[?].*)?$/.exec(hash);
    if (m && segment(m[1])) return { hash: "#/models/" + segment(m[1]) + "/versions/" + m[2] };
    m = /^#mlflow\/models\/([^\/?#]+)\/?(?:[?].*)?$/.exec(hash);
    if (m && segment(m[1])) return { hash: "#/models/" + segment(m[1]) };
    m = /^#mlflow\/experiments\/(\d+)(?:\/runs\/([0-9a-fA-F]+))?\/?$/.exec(hash);
    if (m) return { hash: "#/experiments/" + m[1] + (m[2] ? "/runs/" + m[2] : "") };
    m = /^#job\/(?:runs|\d+\/run)\/(\d+)\/?$/.exec(hash);
    if (m) return { path: "/jobs/runs/" + m[1] };
    return null;
  }

  // The workspace page for MLflow's current route, or null.
  function activityLink(hash) {
    var m = /^#\/models\/([^\/?#]+)(?:\/versions\/(\d+))?\/?(?:[?].*)?$/.exec(hash);
    if (!m || !segment(m[1])) return null;
    var href = "/registry/models/" + segment(m[1]) + (m[2] ? "/versions/" + m[2] : "");
    return { href: href, text: m[2] ? "Registry activity (requests, comments)" : "Registry activity" };
  }

  if (typeof window === "undefined") {
    module.exports = { translate: translate, activityLink: activityLink };
    return;
  }

  // Before MLflow's app boots: rewrite the URL in place (the router reads it when it starts).
  var target = translate(window.location.hash);
  if (target && target.path) {
    window.location.replace(target.path);
    return;
  }
  if (target) {
    window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search + target.hash);
  }
  // A Databricks link opened in a tab already showing MLflow's UI only changes the hash: navigate so the router
  // sees it (a fragment navigation fires popstate).
  window.addEventListener("hashchange", function () {
    var later = translate(window.location.hash);
    if (later) {
      window.location.replace(later.path || window.location.pathname + window.location.search + later.hash);
    }
  });

  var LINK_ID = "local-workspace-registry-activity";
  function updateLink() {
    if (!document.body) return;
    var wanted = activityLink(window.location.hash);
    var link = document.getElementById(LINK_ID);
    if (!wanted) {
      if (link) link.remove();
      return;
    }
    if (!link) {
      link = document.createElement("a");
      link.id = LINK_ID;
      var s = link.style;
      s.position = "fixed"; s.left = "50%"; s.bottom = "16px"; s.transform = "translateX(-50%)"; s.zIndex = "10000";
      s.padding = "8px 14px"; s.borderRadius = "16px"; s.background = "#2272b4"; s.color = "#fff";
      s.font = "600 13px/1.4 sans-serif"; s.textDecoration = "none"; s.boxShadow = "0 2px 6px rgba(0,0,0,.25)";
      document.body.appendChild(link);
    }
    link.setAttribute("href", wanted.href);
    link.textContent = wanted.text;
  }

  // MLflow's hash router navigates with pushState, which fires no event: wrap it to notice route changes.
  ["pushState", "replaceState"].forEach(function (name) {
    var original = window.history[name];
    window.history[name] = function () {
      var result = original.apply(this, arguments);
      updateLink();
      return result;
    };
  });
  window.addEventListener("hashchange", updateLink);
  window.addEventListener("popstate", updateLink);
  document.addEventListener("DOMContentLoaded", updateLink);
})();
"""

PAGES_CSS = """body { font: 14px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0; color: #1f2328; }
header { display: flex; gap: 24px; align-items: center; padding: 10px 24px; background: #0e1f2f; color: #fff; }
header a { color: #fff; text-decoration: none; }
header .brand { font-weight: 700; }
header nav { display: flex; gap: 16px; flex: 1; }
header .user { opacity: .8; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
a { color: #2272b4; }
h1 { font-size: 22px; margin: 8px 0 16px; word-break: break-word; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.crumbs { color: #59636e; margin: 0; word-break: break-word; }
.muted { color: #59636e; }
table { border-collapse: collapse; }
table.facts th { text-align: left; padding: 3px 16px 3px 0; color: #59636e; font-weight: 500; vertical-align: top; }
table.list { width: 100%; }
table.list th, table.list td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
table.list th { background: #f6f8fa; }
table.list td:first-child { white-space: nowrap; }
pre { margin: 0; padding: 8px; background: #f6f8fa; border-radius: 4px; white-space: pre-wrap; word-break: break-word;
      max-height: 480px; overflow: auto; font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
td pre { padding: 4px 6px; }
pre.error { background: #fff1f0; color: #82071e; }
pre.system { background: none; color: #59636e; font-style: italic; }
pre.logs { max-height: 600px; }
section.task { margin-top: 12px; }
details summary { cursor: pointer; margin: 4px 0; }
.state, .status, .stage { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
                          background: #eaeef2; }
.state.success, .status.approved { background: #dafbe1; color: #116329; }
.state.failed, .state.timedout, .state.internal_error, .status.rejected { background: #ffebe9; color: #82071e; }
.state.running, .state.pending, .state.queued, .state.blocked, .status.open { background: #ddf4ff; color: #0550ae; }
.state.canceled, .status.cancelled { background: #fff8c5; color: #7d4e00; }
article.comment { margin: 10px 0; }
article.comment .meta { margin: 0 0 4px; color: #59636e; }
"""
