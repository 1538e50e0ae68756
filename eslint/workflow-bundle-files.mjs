// The files the workflow bundle pulls in at run time, found by following the value imports (not
// `import type`) from the bundle's entry point. The sandbox lint applies to exactly these, so a helper
// that workflow code starts to import is held to the same rules the day it is imported.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const EXTENSIONS = ['.ts', '/index.ts'];

/** Value imports of one file: import/export declarations that are not type-only in every binding. */
function valueImports(file) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const specifiers = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause &&
        !clause.name &&
        named &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) specifiers.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      specifiers.push(statement.moduleSpecifier.text);
    }
  }
  return specifiers;
}

function resolveRelative(from, specifier) {
  const base = path.resolve(path.dirname(from), specifier);
  for (const ending of EXTENSIONS) {
    if (fs.existsSync(base + ending)) return base + ending;
  }
  return undefined;
}

/** Paths (relative to `root`, POSIX separators) of every project file reached from `entry`. */
export function workflowBundleFiles(root, entry = 'src/workflows/index.ts') {
  const seen = new Set();
  const pending = [path.resolve(root, entry)];
  while (pending.length > 0) {
    const file = pending.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of valueImports(file)) {
      if (!specifier.startsWith('.')) continue;
      const resolved = resolveRelative(file, specifier);
      if (resolved) pending.push(resolved);
    }
  }
  return [...seen].map((file) => path.relative(root, file).split(path.sep).join('/')).sort();
}
