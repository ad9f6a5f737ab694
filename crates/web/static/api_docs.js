// Minimal OpenAPI browser for /api/docs: renders /api/v1/openapi.json grouped by tag.
// Vendored, dependency-free, and CSP-compatible (no inline script, no eval).
(function () {
  "use strict";
  var root = document.getElementById("docs");
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function schemaText(spec, s, depth) {
    if (!s) return "";
    depth = depth || 0;
    if (depth > 4) return "…";
    if (s.$ref) {
      var name = s.$ref.split("/").pop();
      return schemaText(spec, (spec.components.schemas || {})[name], depth + 1);
    }
    if (s.type === "array" || (Array.isArray(s.type) && s.type.indexOf("array") >= 0)) return "[" + schemaText(spec, s.items, depth + 1) + "]";
    if (s.properties) {
      var req = s.required || [];
      var lines = Object.keys(s.properties).map(function (k) {
        var p = s.properties[k];
        var t = p.$ref || p.properties || p.items ? schemaText(spec, p, depth + 1) : [].concat(p.type || "any").join("|");
        return "  ".repeat(depth + 1) + k + (req.indexOf(k) >= 0 ? "" : "?") + ": " + t + (p.description ? "  // " + p.description : "");
      });
      return "{\n" + lines.join("\n") + "\n" + "  ".repeat(depth) + "}";
    }
    return [].concat(s.type || "any").join("|");
  }
  fetch("/api/v1/openapi.json").then(function (r) { return r.json(); }).then(function (spec) {
    root.textContent = "";
    var head = el("section", "card");
    head.appendChild(el("h1", null, spec.info.title + " v" + spec.info.version));
    head.appendChild(el("p", "muted", spec.info.description || ""));
    var raw = el("a", null, "openapi.json");
    raw.href = "/api/v1/openapi.json";
    head.appendChild(raw);
    root.appendChild(head);
    var byTag = {};
    Object.keys(spec.paths).forEach(function (path) {
      var item = spec.paths[path];
      Object.keys(item).forEach(function (method) {
        var op = item[method];
        var tag = (op.tags && op.tags[0]) || "other";
        (byTag[tag] = byTag[tag] || []).push({ path: path, method: method, op: op });
      });
    });
    (spec.tags || []).map(function (t) { return t.name; }).concat(Object.keys(byTag)).filter(function (t, i, a) { return a.indexOf(t) === i && byTag[t]; }).forEach(function (tag) {
      var sec = el("section", "card");
      sec.appendChild(el("h2", null, tag));
      byTag[tag].forEach(function (e) {
        var d = el("details", "op");
        var s = el("summary");
        s.appendChild(el("span", "method method-" + e.method, e.method.toUpperCase()));
        s.appendChild(el("code", null, " " + e.path + " "));
        s.appendChild(el("span", "muted", e.op.summary || e.op.description || ""));
        d.appendChild(s);
        if (e.op.security) d.appendChild(el("p", "badge", "Bearer token"));
        var body = e.op.requestBody && e.op.requestBody.content;
        if (body) {
          var ct = Object.keys(body)[0];
          d.appendChild(el("h4", null, "Request " + ct));
          d.appendChild(el("pre", null, schemaText(spec, body[ct].schema)));
        }
        Object.keys(e.op.responses || {}).forEach(function (code) {
          var r = e.op.responses[code];
          d.appendChild(el("h4", null, code + " " + (r.description || "")));
          var c = r.content && r.content["application/json"];
          if (c) d.appendChild(el("pre", null, schemaText(spec, c.schema)));
        });
        sec.appendChild(d);
      });
      root.appendChild(sec);
    });
  }).catch(function (err) { root.textContent = "Failed to load the API document: " + err; });
})();
