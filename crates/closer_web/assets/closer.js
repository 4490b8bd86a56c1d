/* closer.js — first-party tracking for closer: page views, custom events, and the visitor id
   that closer forms carry so a lead's earlier visits follow them. */
(function () {
  "use strict";
  var d = document, w = window, l = location, s = d.currentScript;
  if (!s) return;
  var api = (s.getAttribute("data-api") || new URL(s.src).origin) + "/api/v1/track";
  var site = s.getAttribute("data-site");
  var hash = s.hasAttribute("data-hash");
  var vid = null;
  if (!s.hasAttribute("data-cookieless")) {
    try {
      vid = localStorage.getItem("closer_vid");
      if (!vid) {
        vid = (w.crypto && crypto.randomUUID ? crypto.randomUUID() : Math.random().toString(36).slice(2) + Date.now().toString(36)).replace(/-/g, "");
        localStorage.setItem("closer_vid", vid);
      }
    } catch (e) { vid = null; }
  }
  function send(type, props) {
    if (/^(localhost|127\.|\[::1\])/.test(l.hostname) && !s.hasAttribute("data-local")) return;
    var e = { type: type, url: l.href, referrer: d.referrer || null, hash: hash };
    if (site) e.site = site;
    if (vid) e.visitor_id = vid;
    if (props) e.properties = props;
    var body = JSON.stringify([e]);
    // text/plain keeps the request "simple": no CORS preflight.
    if (navigator.sendBeacon && navigator.sendBeacon(api, new Blob([body], { type: "text/plain" }))) return;
    if (w.fetch) fetch(api, { method: "POST", body: body, keepalive: true, headers: { "Content-Type": "text/plain" } });
  }
  // Forms posting to closer (/f/KEY, or marked data-closer) carry the visitor id; cookieless
  // pages send "auto": closer recognises the same browser for the rest of the day.
  function stitch(f) {
    if (!f || f.tagName !== "FORM") return;
    if ((f.getAttribute("action") || "").indexOf("/f/") < 0 && !f.hasAttribute("data-closer")) return;
    var i = f.querySelector('input[name="_closer_vid"]');
    if (!i) { i = d.createElement("input"); i.type = "hidden"; i.name = "_closer_vid"; f.appendChild(i); }
    i.value = vid || "auto";
  }
  function stitchAll() { for (var f = d.forms, n = 0; n < f.length; n++) stitch(f[n]); }
  d.addEventListener("submit", function (e) { stitch(e.target); }, true);
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", stitchAll); else stitchAll();
  var last;
  function page() { if (last === l.href) return; last = l.href; send("pageview"); }
  var push = history.pushState;
  if (push) {
    history.pushState = function () { push.apply(this, arguments); page(); };
    w.addEventListener("popstate", page);
  }
  if (hash) w.addEventListener("hashchange", page);
  // closer("Signup", {props: {plan: "pro"}}); calls made before the script loaded are queued
  // in closer.q by the one-line stub in the README.
  var queued = (w.closer && w.closer.q) || [];
  w.closer = function (name, opts) { send(name, opts && opts.props); };
  for (var q = 0; q < queued.length; q++) w.closer.apply(null, queued[q]);
  page();
})();
