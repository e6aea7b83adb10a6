// Type-checks the dashboards against @grafana/schema: writes their TypeScript
// (gen.mjs), compiles it with tsconfig.json's options and no output (as
// `tsc --noEmit -p .` does), and prints each error with where it is in the
// dashboard's JSON (panels[3].gridPos.h) and the panel's title. Exits 1 on an
// error, 0 when the dashboards type-check.
//
// Usage: node check.mjs [--out DIR] [FILE.json ...]  (the defaults of gen.mjs)
import { join } from 'node:path';
import ts from 'typescript';

import { fail, generate, here, parseArgs, schemaDir } from './gen.mjs';

const { out, files } = parseArgs(process.argv.slice(2));
const roots = generate(out, files);

const config = ts.getParsedCommandLineOfConfigFile(join(here, 'tsconfig.json'), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
});
// The generated files may be outside this folder (a test's temporary folder):
// @grafana/schema is resolved from here wherever they are.
const options = {
  ...config.options,
  paths: { '@grafana/schema': [schemaDir], '@grafana/schema/*': [join(schemaDir, '*')] },
};
const program = ts.createProgram(roots, options);
const diagnostics = ts.getPreEmitDiagnostics(program);

// jsonPath names where a node is in the literal it belongs to: the exported
// constant, then fields and array indexes (dashboard.panels[3].gridPos.h).
function jsonPath(node) {
  const parts = [];
  for (let n = node; n; n = n.parent) {
    const parent = n.parent;
    if (!parent) break;
    if (ts.isPropertyAssignment(parent) && parent.initializer === n) {
      parts.unshift('.' + propertyName(parent.name));
    } else if (ts.isPropertyAssignment(n) && parent && ts.isObjectLiteralExpression(parent) && parts.length === 0) {
      parts.unshift('.' + propertyName(n.name));
    } else if (ts.isArrayLiteralExpression(parent)) {
      parts.unshift(`[${parent.elements.indexOf(n)}]`);
    } else if (ts.isVariableDeclaration(parent)) {
      parts.unshift(parent.name.getText());
      break;
    }
  }
  return parts.join('');
}

function propertyName(name) {
  return ts.isStringLiteral(name) || ts.isIdentifier(name) ? name.text : name.getText();
}

// nodeAt is the innermost node of a file that starts at pos.
function nodeAt(file, pos) {
  let found = file;
  const visit = (n) => {
    if (n.getStart(file) <= pos && pos < n.getEnd()) {
      found = n;
      ts.forEachChild(n, visit);
    }
  };
  ts.forEachChild(file, visit);
  return found;
}

// describe names where a path is in the dashboard's JSON, with the panel's title:
// the dashboard's own literal (dashboard.panels[3].gridPos.h), or the options or
// custom field config of the panel with that id (panel_4_options.graphMode).
function describe(file, path) {
  const decl = file.statements
    .flatMap((s) => (ts.isVariableStatement(s) ? s.declarationList.declarations : []))
    .find((d) => d.name.getText() === 'dashboard');
  let board;
  try {
    board = JSON.parse(decl.initializer.getText());
  } catch {
    return path;
  }
  const title = (p) => (p && p.title !== undefined ? ` (panel ${JSON.stringify(p.title)})` : '');
  const m = /^dashboard\.panels\[(\d+)\](?:\.panels\[(\d+)\])?/.exec(path);
  if (m) {
    let p = board.panels?.[Number(m[1])];
    if (m[2] !== undefined) p = p?.panels?.[Number(m[2])];
    return path + title(p);
  }
  const o = /^panel_(\d+)_(options|custom)(.*)$/.exec(path);
  if (o) {
    const all = (board.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
    const p = all.find((p) => p.id === Number(o[1]));
    const field = o[2] === 'options' ? 'options' : 'fieldConfig.defaults.custom';
    return `panel id ${o[1]}${title(p)}: ${field}${o[3]}`;
  }
  return path;
}

let errors = 0;
for (const d of diagnostics) {
  const text = ts.flattenDiagnosticMessageText(d.messageText, '\n    ');
  if (!d.file || d.start === undefined) {
    console.error(`error: ${text}`);
    errors++;
    continue;
  }
  const { line } = d.file.getLineAndCharacterOfPosition(d.start);
  const path = jsonPath(nodeAt(d.file, d.start));
  console.error(`${d.file.fileName}:${line + 1}: ${describe(d.file, path)}: ${text}`);
  errors++;
}
if (errors > 0) {
  console.error(`check.mjs: ${errors} error(s): the dashboards have fields that @grafana/schema's types do not have, or of another type`);
  process.exit(1);
}
console.log(`check.mjs: ${roots.length} dashboard(s) type-check against @grafana/schema`);
