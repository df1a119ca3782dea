import { createHash } from 'node:crypto';

/*
 * The UI's only stylesheet and script, served from this origin (no CDN, no web fonts): the registry
 * works air-gapped and the Content-Security-Policy allows nothing else.
 */

export const APP_CSS = `
:root {
  --bg: #f7f7f8; --fg: #1b1c1f; --muted: #5b5f6a; --card: #ffffff; --line: #d9dbe0; --accent: #2458c6;
  --ok: #17723a; --warn: #8a5a00; --bad: #b3261e; --info: #2458c6;
  --node-bg: #353535; --node-title: #222; --node-fg: #ddd; --node-muted: #aaa; --widget: #222;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #16171a; --fg: #e6e7ea; --muted: #a4a8b3; --card: #1f2126; --line: #3a3d45; --accent: #8fb1ff;
    --ok: #6fd08f; --warn: #f0c060; --bad: #ff8a80; --info: #8fb1ff; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--card); padding: 8px; z-index: 9; }
header { background: var(--card); border-bottom: 1px solid var(--line); }
nav.top { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 16px; max-width: 1100px; margin: 0 auto; padding: 10px 16px; }
nav.top .brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; color: var(--fg); }
nav.top ul { display: flex; flex-wrap: wrap; gap: 4px 14px; list-style: none; margin: 0; padding: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
footer { max-width: 1100px; margin: 32px auto; padding: 0 16px; color: var(--muted); font-size: .9rem; }
h1 { font-size: 1.6rem; margin: .4em 0; overflow-wrap: anywhere; } h2 { font-size: 1.25rem; margin-top: 1.6em; }
.muted { color: var(--muted); }
.crumbs ol { display: flex; flex-wrap: wrap; list-style: none; padding: 0; margin: 0; gap: 6px; font-size: .9rem; }
.crumbs li + li::before { content: "/"; margin-right: 6px; color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 10px 0; }
.results { list-style: none; padding: 0; }
.results li { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 8px 0; }
.results .title { font-weight: 600; font-size: 1.05rem; }
.results.compact { columns: 2 260px; } .results.compact li { break-inside: avoid; padding: 4px 10px; margin: 0 0 6px; }
/* A changed comfy node's changes: a plain list inside its entry. */
.changes li ul { margin: 4px 0 0; padding-left: 18px; } .changes li li { background: none; border: 0; padding: 2px 0; margin: 0; }
.desc { overflow-wrap: anywhere; white-space: pre-wrap; }
form.search { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; }
form.search .grow { flex: 1 1 220px; }
label { display: block; font-weight: 600; font-size: .9rem; }
input[type=text], input[type=search], input[type=password], input[type=number], input[type=url], select, textarea {
  width: 100%; font: inherit; padding: 7px 9px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
textarea { min-height: 5em; }
button { font: inherit; padding: 7px 14px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
@media (prefers-color-scheme: dark) { button { color: #111; } }
button.danger { background: var(--bad); border-color: var(--bad); }
button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
form.inline { display: inline; }
form.stack > div { margin: 10px 0; }
.field-row { display: flex; flex-wrap: wrap; gap: 10px; } .field-row > div { flex: 1 1 200px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { font-weight: 600; color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; overflow-x: auto; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.reason { overflow-wrap: anywhere; max-width: 28em; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: .8rem; border: 1px solid currentColor; white-space: nowrap; }
.badge.ok { color: var(--ok); } .badge.warn { color: var(--warn); } .badge.bad { color: var(--bad); } .badge.info { color: var(--info); } .badge.plain { color: var(--muted); }
.notice { border-left: 4px solid var(--info); padding: 8px 12px; background: var(--card); margin: 12px 0; }
.notice.bad { border-color: var(--bad); } .notice.ok { border-color: var(--ok); }
.secret { font-size: 1rem; word-break: break-all; }
.pager { display: flex; gap: 16px; align-items: center; margin: 16px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 14px; }
/* A comfy node drawn as ComfyUI draws it: title bar, sockets at the edges, widgets between. */
.node { background: var(--node-bg); color: var(--node-fg); border-radius: 10px; overflow: hidden; border: 1px solid #000; font-size: .88rem; }
.node .head { background: var(--node-title); padding: 6px 10px; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
.node .head h3 { margin: 0; font-size: .98rem; color: #fff; overflow-wrap: anywhere; }
.node .head a { color: #fff; }
.node .cat { color: var(--node-muted); font-size: .8rem; width: 100%; overflow-wrap: anywhere; }
.node .badges { display: inline-flex; gap: 4px; flex-wrap: wrap; } .node .badges .badge { color: #ffd27a; } .node .badges .badge.bad { color: #ff9a90; } .node .badges .badge.info { color: #9cc2ff; }
.node .io { display: grid; grid-template-columns: 1fr 1fr; gap: 2px 10px; padding: 8px 10px 4px; }
.node ul { list-style: none; margin: 0; padding: 0; }
.node .outs { text-align: right; }
.node .sock::before { content: ""; display: inline-block; width: 9px; height: 9px; border-radius: 50%; background: var(--dot, #9aa); margin-right: 6px; }
.node .outs .sock::before { display: none; } .node .outs .sock::after { content: ""; display: inline-block; width: 9px; height: 9px; border-radius: 50%; background: var(--dot, #9aa); margin-left: 6px; }
.node .t { color: var(--node-muted); font-size: .78rem; }
.node .opt { font-style: italic; } .node .hidden-in { text-decoration: underline dotted; }
.node .widgets { padding: 2px 10px 10px; }
.node .widget { background: var(--widget); border-radius: 10px; padding: 3px 10px; margin: 4px 0; display: flex; justify-content: space-between; gap: 8px; flex-wrap: wrap; }
.node .widget .v { color: #fff; overflow-wrap: anywhere; }
.node .widget .range { color: var(--node-muted); font-size: .78rem; width: 100%; }
.node .section { padding: 0 10px; color: var(--node-muted); font-size: .75rem; text-transform: uppercase; letter-spacing: .04em; }
.node .desc { padding: 0 10px 8px; color: var(--node-muted); }
.t-IMAGE { --dot: #64b5f6; } .t-MASK { --dot: #81c784; } .t-LATENT { --dot: #ff9cf9; } .t-MODEL { --dot: #b39ddb; }
.t-CLIP { --dot: #ffd500; } .t-VAE { --dot: #ff6e6e; } .t-CONDITIONING { --dot: #ffa931; } .t-INT, .t-FLOAT { --dot: #aaddaa; } .t-STRING { --dot: #aaa; }
.providers li.picked { border-color: var(--ok); border-width: 2px; }
.providers form.inline label { display: inline; margin-right: 6px; } .providers select { width: auto; }
@media (max-width: 600px) { main { padding: 10px; } h1 { font-size: 1.3rem; } dl.facts { grid-template-columns: 1fr; } .cards { grid-template-columns: 1fr; } }
`;

/** Live search: the results refresh while typing; without the script the form submits as usual. */
export const APP_JS = `
(function () {
  var form = document.querySelector('form[data-live]');
  if (!form || !window.fetch) return;
  var target = document.getElementById(form.getAttribute('data-live'));
  var timer = null, seq = 0;
  form.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var params = new URLSearchParams(new FormData(form));
      params.delete('page');
      var url = form.getAttribute('action') + '?' + params.toString();
      var mine = ++seq;
      fetch(url + (url.indexOf('?') < 0 ? '?' : '&') + 'fragment=results', { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (text) {
          if (text === null || mine !== seq) return;
          target.innerHTML = text;
          history.replaceState(null, '', url);
        })
        .catch(function () {});
    }, 250);
  });
})();
`;

export const ASSET_VERSION = createHash('sha1').update(APP_CSS).update(APP_JS).digest('hex').slice(0, 10);
