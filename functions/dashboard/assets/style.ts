/** The dashboard's stylesheet: plain CSS, colours chosen for WCAG AA contrast. */
export const stylesheet = `
:root { --ink: #1b1f24; --muted: #4a5360; --line: #c9ced6; --bg: #ffffff; --panel: #f3f5f8; --accent: #0b57a4; --danger: #a4161a; --ok: #1e6b34; --warn: #7a4b00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--ink); color: #fff; padding: .5em 1em; }
.skip:focus { left: 0; z-index: 10; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header.top { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: center; padding: .6em 1.2em; background: #16324f; color: #fff; }
header.top .brand { font-weight: 700; font-size: 1.15em; }
header.top .who { margin-left: auto; }
header.top button.link { color: #fff; }
.banner { background: #fff4d6; border-bottom: 2px solid var(--warn); padding: .2em 1.2em; }
.banner a { color: #5b3800; }
nav.sections ul { list-style: none; display: flex; flex-wrap: wrap; gap: .2em 1.1em; margin: 0; padding: .6em 1.2em; background: var(--panel); border-bottom: 1px solid var(--line); }
nav.sections a[aria-current="page"] { font-weight: 700; color: var(--ink); text-decoration: none; border-bottom: 3px solid var(--accent); }
main { padding: 1em 1.2em 3em; max-width: 78em; }
h1 { font-size: 1.5em; margin: .3em 0 .6em; }
h2 { font-size: 1.2em; margin: 1.4em 0 .5em; }
h3 { font-size: 1.05em; margin: 1em 0 .4em; }
.muted { color: var(--muted); }
.notice { background: #e3f3e6; border-left: 4px solid var(--ok); padding: .5em .8em; }
.error { color: var(--danger); font-weight: 600; margin: .25em 0; }
p.error[role="alert"] { background: #fbe9e9; border-left: 4px solid var(--danger); padding: .5em .8em; }
.warning { background: #fff4d6; border-left: 4px solid var(--warn); padding: .5em .8em; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(17em, 1fr)); gap: 1em; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .6em 1em 1em; }
.panel h2 { margin-top: .3em; }
.figures { display: flex; gap: 1.5em; flex-wrap: wrap; margin: 0; padding: 0; list-style: none; }
.figures strong { display: block; font-size: 1.6em; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; }
caption { text-align: left; font-weight: 600; padding: .3em 0; }
th, td { text-align: left; border-bottom: 1px solid var(--line); padding: .35em .6em; vertical-align: top; }
th { background: var(--panel); }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .92em; }
pre { background: var(--panel); padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
form { margin: .4em 0; }
form.inline { display: inline; }
.field { margin: .6em 0; max-width: 36em; }
.field label { display: block; font-weight: 600; margin-bottom: .15em; }
.field.checkbox { display: flex; flex-wrap: wrap; gap: .4em; align-items: center; }
.field.checkbox label { display: inline; margin: 0; }
.field.checkbox .hint, .field.checkbox .error { flex-basis: 100%; }
.field .hint { color: var(--muted); margin: .15em 0; font-size: .92em; }
input[type="text"], input[type="number"], input[type="password"], input[type="search"], input:not([type]), select, textarea { font: inherit; padding: .35em .5em; border: 1px solid #6b7480; border-radius: 4px; width: 100%; background: #fff; color: var(--ink); }
.invalid input, .invalid select, .invalid textarea { border-color: var(--danger); border-width: 2px; }
button { font: inherit; padding: .4em .9em; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--danger); border-color: var(--danger); }
button.link { background: none; border: none; color: var(--accent); text-decoration: underline; padding: 0 .2em; }
details.danger summary { color: var(--danger); cursor: pointer; font-weight: 600; }
.filters { display: flex; flex-wrap: wrap; gap: 0 1em; align-items: flex-end; }
.filters .field { min-width: 11em; flex: 1; }
.pager { display: flex; gap: 1em; align-items: center; margin: .6em 0; }
.usage { display: grid; grid-template-columns: 1fr auto; gap: .1em .6em; align-items: center; margin: .4em 0; }
.usage-label { grid-column: 1 / -1; }
meter { width: 100%; height: 1.2em; }
.state-running { color: var(--ok); font-weight: 600; }
.state-booting { color: var(--accent); font-weight: 600; }
.state-failing { color: var(--danger); font-weight: 600; }
.state-never { color: var(--muted); }
.origin { color: var(--muted); font-size: .92em; }
ol.order { padding-left: 1.4em; }
ol.order li { margin: .3em 0; }
ol.order li .moves { display: inline-flex; gap: .3em; margin-left: .6em; }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.2em; border-left: 1px dotted var(--line); }
ul.tree { padding-left: 0; border: none; }
.diff del { background: #fbe9e9; color: #7d1114; text-decoration: line-through; }
.diff ins { background: #e3f3e6; color: #14532d; text-decoration: none; }
.side-by-side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.secret { background: #fff4d6; border: 2px solid var(--warn); padding: .6em; }
.copy button { padding: .1em .6em; font-size: .9em; }
`;
