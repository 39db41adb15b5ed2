import { createHash } from 'node:crypto';

/**
 * The API reference at `/docs`: one self-contained page (no CDN, works offline) whose script
 * fetches `openapi.json` next to it and renders every operation by tag, with parameters, body
 * and response schemas, and a curl example. The CSP allows exactly this page's inline script
 * and style (by hash) and fetches to its own origin.
 */

const STYLE = `
:root { --fg:#1d2430; --muted:#5b6576; --line:#e3e7ee; --bg:#f7f8fa; --card:#fff; --accent:#3553d1;
  --get:#1f7a4d; --post:#2c5cc5; --put:#9a6200; --patch:#7a3fb0; --delete:#b3261e; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header.top { background:var(--card); border-bottom:1px solid var(--line); padding:20px 32px; }
header.top h1 { margin:0 0 4px; font-size:22px; }
header.top p { margin:2px 0; color:var(--muted); }
.layout { display:flex; align-items:flex-start; }
nav { position:sticky; top:0; width:240px; flex:none; max-height:100vh; overflow:auto; padding:20px 16px; }
nav input { width:100%; padding:6px 8px; border:1px solid var(--line); border-radius:6px; font:inherit; }
nav ul { list-style:none; padding:0; margin:12px 0; }
nav li a { display:block; padding:3px 6px; color:var(--fg); text-decoration:none; border-radius:4px; }
nav li a:hover { background:var(--line); }
main { flex:1; min-width:0; padding:20px 32px 64px; }
h2.tag { margin:28px 0 12px; font-size:18px; text-transform:capitalize; }
details.op { background:var(--card); border:1px solid var(--line); border-radius:8px; margin:0 0 14px; }
details.op > summary { list-style:none; cursor:pointer; padding:10px 14px; display:flex; gap:10px; align-items:baseline; flex-wrap:wrap; }
details.op > summary::-webkit-details-marker { display:none; }
.method { font:600 12px/1 ui-monospace,SFMono-Regular,Menlo,monospace; color:#fff; padding:5px 7px; border-radius:4px; min-width:58px; text-align:center; }
.m-get{background:var(--get)} .m-post{background:var(--post)} .m-put{background:var(--put)} .m-patch{background:var(--patch)} .m-delete{background:var(--delete)}
.path { font:600 14px ui-monospace,SFMono-Regular,Menlo,monospace; }
.summary { color:var(--muted); }
.auth { margin-left:auto; font-size:12px; padding:2px 8px; border-radius:10px; border:1px solid var(--line); color:var(--muted); }
.auth.user { border-color:#c9d3f5; color:var(--post); } .auth.admin { border-color:#f0c4c1; color:var(--delete); }
.body { padding:4px 14px 14px; border-top:1px solid var(--line); }
.body h4 { margin:14px 0 6px; font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:var(--muted); font-size:12px; }
code, pre { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:13px; }
pre { background:#0f1420; color:#e6e9ef; padding:12px; border-radius:6px; overflow:auto; white-space:pre-wrap; word-break:break-all; }
ul.schema { list-style:none; margin:0; padding-left:16px; border-left:2px solid var(--line); }
ul.schema li { margin:3px 0; }
.prop { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-weight:600; }
.type { color:var(--accent); font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:13px; }
.req { color:var(--delete); font-size:12px; }
.desc { color:var(--muted); }
.status { font-weight:600; font-family:ui-monospace,SFMono-Regular,Menlo,monospace; }
.error { color:var(--delete); padding:20px 32px; }
.hidden { display:none; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var content = document.getElementById('content');
  var nav = document.getElementById('tags');
  var statusLine = document.getElementById('status');
  var specUrl = location.pathname.replace(/\\/docs\\/?$/, '') + '/openapi.json';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function add(parent) { for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]); return parent; }

  fetch(specUrl, { headers: { accept: 'application/json' } })
    .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
    .then(render)
    .catch(function (error) {
      statusLine.textContent = 'Could not load ' + specUrl + ': ' + error.message;
      statusLine.className = 'error';
    });

  function render(doc) {
    var schemas = (doc.components && doc.components.schemas) || {};
    var server = (doc.servers && doc.servers[0] && doc.servers[0].url) || location.origin;
    document.title = doc.info.title + ' ' + doc.info.version + ' - API reference';
    document.getElementById('title').textContent = doc.info.title + ' API';
    document.getElementById('meta').textContent = 'Version ' + doc.info.version + ' \\u00b7 OpenAPI ' + doc.openapi + ' \\u00b7 ' + server;
    statusLine.textContent = 'Authenticate with Authorization: Bearer <access token> or x-api-key: <key>. Errors are application/problem+json.';

    var byTag = {};
    Object.keys(doc.paths).forEach(function (path) {
      var item = doc.paths[path];
      ['get', 'post', 'put', 'patch', 'delete'].forEach(function (method) {
        var op = item[method];
        if (!op) return;
        var tag = (op.tags && op.tags[0]) || 'other';
        (byTag[tag] = byTag[tag] || []).push({ path: path, method: method, op: op });
      });
    });

    Object.keys(byTag).sort().forEach(function (tag) {
      var section = el('section');
      section.id = 'tag-' + tag;
      add(section, el('h2', 'tag', tag));
      byTag[tag].forEach(function (entry) { add(section, operation(entry, schemas, server)); });
      add(content, section);
      var link = el('a', '', tag + ' (' + byTag[tag].length + ')');
      link.href = '#tag-' + tag;
      add(nav, add(el('li'), link));
    });

    document.getElementById('filter').addEventListener('input', function (event) {
      var needle = event.target.value.toLowerCase();
      Array.prototype.forEach.call(document.querySelectorAll('details.op'), function (node) {
        node.classList.toggle('hidden', needle !== '' && node.getAttribute('data-search').indexOf(needle) === -1);
      });
    });
  }

  function operation(entry, schemas, server) {
    var op = entry.op, method = entry.method.toUpperCase();
    var article = el('details', 'op');
    article.id = op.operationId;
    article.className = 'op';
    article.setAttribute('data-search', (method + ' ' + entry.path + ' ' + op.summary + ' ' + op.operationId).toLowerCase());
    var auth = op['x-auth'] || (op.security && op.security.length ? 'user' : 'none');
    var summary = add(el('summary'),
      el('span', 'method m-' + entry.method, method),
      el('span', 'path', entry.path),
      el('span', 'summary', op.summary),
      el('span', 'auth ' + auth, auth === 'none' ? 'public' : auth === 'admin' ? 'admin' : 'signed in'));
    var body = el('div', 'body');
    if (op.description) add(body, el('p', 'desc', op.description));
    add(body, el('p', 'desc', 'Operation ' + op.operationId + (auth === 'none' ? ' \\u00b7 no authentication' : ' \\u00b7 bearer token or API key' + (auth === 'admin' ? ', administrators only' : ''))));

    if (op.parameters && op.parameters.length) {
      add(body, el('h4', '', 'Parameters'));
      var table = el('table');
      add(table, add(el('tr'), el('th', '', 'Name'), el('th', '', 'In'), el('th', '', 'Type'), el('th', '', 'Required'), el('th', '', 'Description')));
      op.parameters.forEach(function (p) {
        add(table, add(el('tr'), add(el('td'), el('code', '', p.name)), el('td', '', p.in), el('td', 'type', typeLabel(p.schema, schemas)),
          el('td', '', p.required ? 'yes' : 'no'), el('td', 'desc', [p.description, constraints(p.schema)].filter(Boolean).join(' \\u00b7 '))));
      });
      add(body, table);
    }
    var requestSchema = op.requestBody && firstSchema(op.requestBody.content);
    if (op.requestBody) {
      add(body, el('h4', '', 'Request body' + (op.requestBody.required ? '' : ' (optional)') + ' \\u00b7 ' + Object.keys(op.requestBody.content).join(', ')));
      add(body, schemaView(requestSchema, schemas, 0));
    }
    add(body, el('h4', '', 'Responses'));
    var responses = el('table');
    Object.keys(op.responses).sort().forEach(function (status) {
      var response = op.responses[status];
      var cell = el('td');
      add(cell, el('div', '', response.description));
      if (response.content) {
        var type = Object.keys(response.content)[0];
        var more = add(el('details'), el('summary', 'type', type + ': ' + typeLabel(response.content[type].schema, schemas)));
        add(more, schemaView(response.content[type].schema, schemas, 0));
        add(cell, more);
      }
      add(responses, add(el('tr'), el('td', 'status', status), cell));
    });
    add(body, responses);
    add(body, el('h4', '', 'Example'));
    add(body, el('pre', 'curl', curl(server, method, entry.path, op, requestSchema, schemas)));
    return add(article, summary, body);
  }

  function firstSchema(content) { var key = content && Object.keys(content)[0]; return key ? content[key].schema : undefined; }

  function resolve(schema, schemas) {
    var seen = 0;
    while (schema && schema.$ref && seen++ < 20) schema = schemas[schema.$ref.split('/').pop()] || {};
    return schema || {};
  }

  function typeLabel(schema, schemas) {
    if (!schema) return 'any';
    if (schema.$ref) return schema.$ref.split('/').pop();
    if (schema.const !== undefined) return JSON.stringify(schema.const);
    if (schema.enum) return schema.enum.map(function (v) { return JSON.stringify(v); }).join(' | ');
    var variants = schema.anyOf || schema.oneOf;
    if (variants) return variants.map(function (v) { return typeLabel(v, schemas); }).join(' | ');
    var type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
    if (type === 'array') return 'array of ' + typeLabel(schema.items, schemas);
    if (!type) return schema.properties ? 'object' : 'any';
    return schema.format ? type + ' (' + schema.format + ')' : type;
  }

  function constraints(schema) {
    if (!schema) return '';
    var parts = [];
    // zod bounds plain integers by the safe-integer range; that is noise to a reader.
    var limit = function (n) { return n !== undefined && Math.abs(n) < 9007199254740991; };
    if (limit(schema.minimum)) parts.push('\\u2265 ' + schema.minimum);
    if (schema.exclusiveMinimum !== undefined) parts.push('> ' + schema.exclusiveMinimum);
    if (limit(schema.maximum)) parts.push('\\u2264 ' + schema.maximum);
    if (schema.exclusiveMaximum !== undefined) parts.push('< ' + schema.exclusiveMaximum);
    if (schema.minLength !== undefined) parts.push('min length ' + schema.minLength);
    if (schema.maxLength !== undefined) parts.push('max length ' + schema.maxLength);
    if (schema.minItems !== undefined) parts.push('min items ' + schema.minItems);
    if (schema.maxItems !== undefined) parts.push('max items ' + schema.maxItems);
    if (schema.pattern && !schema.format) parts.push('pattern ' + schema.pattern);
    if (schema.default !== undefined) parts.push('default ' + JSON.stringify(schema.default));
    return parts.join(', ');
  }

  function schemaView(schema, schemas, depth) {
    var resolved = resolve(schema, schemas);
    if (resolved.type === 'array' && resolved.items) {
      var wrap = el('div');
      add(wrap, el('span', 'type', typeLabel(resolved, schemas)));
      if (depth < 6) add(wrap, schemaView(resolved.items, schemas, depth + 1));
      return wrap;
    }
    if (!resolved.properties) return el('div', 'type', typeLabel(schema, schemas) + (constraints(resolved) ? ' \\u00b7 ' + constraints(resolved) : ''));
    var list = el('ul', 'schema');
    var required = resolved.required || [];
    Object.keys(resolved.properties).forEach(function (name) {
      var property = resolved.properties[name];
      var inner = resolve(property, schemas);
      var item = add(el('li'), el('span', 'prop', name), document.createTextNode(' '), el('span', 'type', typeLabel(property, schemas)));
      if (required.indexOf(name) !== -1) add(item, document.createTextNode(' '), el('span', 'req', 'required'));
      var notes = [inner.description || property.description, constraints(inner)].filter(Boolean).join(' \\u00b7 ');
      if (notes) add(item, el('span', 'desc', ' \\u2014 ' + notes));
      var nested = inner.type === 'array' ? resolve(inner.items, schemas) : inner;
      if (nested.properties && depth < 6) add(item, schemaView(nested, schemas, depth + 1));
      add(list, item);
    });
    return list;
  }

  function example(schema, schemas, depth) {
    var s = resolve(schema, schemas);
    if (depth > 6) return null;
    if (s.examples && s.examples.length) return s.examples[0];
    if (s.default !== undefined) return s.default;
    if (s.const !== undefined) return s.const;
    if (s.enum) return s.enum[0];
    var variants = s.anyOf || s.oneOf;
    if (variants) return example(variants[0], schemas, depth + 1);
    var type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (type === 'object' || s.properties) {
      var out = {};
      Object.keys(s.properties || {}).forEach(function (name) { out[name] = example(s.properties[name], schemas, depth + 1); });
      return out;
    }
    if (type === 'array') return [example(s.items, schemas, depth + 1)];
    if (type === 'integer' || type === 'number') return s.minimum !== undefined ? s.minimum : 1;
    if (type === 'boolean') return true;
    if (type === 'null') return null;
    if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
    if (s.format === 'email') return 'ada@example.com';
    if (s.format === 'date-time') return '2025-01-01T00:00:00Z';
    if (s.format === 'uri' || s.format === 'url') return 'https://example.com/data.csv';
    return 'string';
  }

  function quote(text) { return "'" + String(text).replace(/'/g, "'\\\\''") + "'"; }

  function curl(server, method, path, op, requestSchema, schemas) {
    var url = server.replace(/\\/$/, '') + path.replace(/\\{([^}]+)\\}/g, function (_, name) { return '<' + name + '>'; });
    var query = (op.parameters || []).filter(function (p) { return p.in === 'query' && p.required; })
      .map(function (p) { return encodeURIComponent(p.name) + '=' + encodeURIComponent(String(example(p.schema, schemas, 0))); });
    if (query.length) url += '?' + query.join('&');
    var lines = ['curl -sS' + (method === 'GET' ? '' : ' -X ' + method) + ' ' + quote(url)];
    if (op.security && op.security.length) lines.push('  -H "Authorization: Bearer $PIPEWEAVE_TOKEN"');
    if (op.requestBody) {
      lines.push("  -H 'content-type: application/json'");
      lines.push('  -d ' + quote(JSON.stringify(example(requestSchema, schemas, 0), null, 2)));
    }
    return lines.join(' \\\\\\n');
  }
})();
`;

function cspHash(source: string): string {
  return `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;
}

export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${cspHash(SCRIPT)}`,
  `style-src ${cspHash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function docsPageHtml(title: string): string {
  const safeTitle = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${safeTitle} API reference</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header class="top"><h1 id="title">${safeTitle} API</h1><p id="meta"></p><p id="status">Loading the API description…</p></header>
<div class="layout">
<nav><input id="filter" type="search" placeholder="Filter operations" aria-label="Filter operations"><ul id="tags"></ul></nav>
<main id="content"><noscript>This page needs JavaScript; the raw description is at openapi.json.</noscript></main>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
