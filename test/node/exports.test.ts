/**
 * Every exported value is used outside its own file (issue 15): an export nobody imports is either dead
 * or a file-local helper that widens the file's interface for nothing. Types are exempt (a public
 * signature may name them), as are default exports (entry points that tools load).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Names of the values a file exports by declaration (`export const`, `function`, `class`, `enum`). */
function exportedValues(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const names: string[] = [];
  for (const s of source.statements) {
    const modifiers = ts.canHaveModifiers(s) ? ts.getModifiers(s) : undefined;
    if (!modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) || modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) continue;
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
    } else if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) && s.name) {
      names.push(s.name.text);
    }
  }
  return names;
}

describe('exports', () => {
  it('exports no value that only its own file uses', () => {
    const files = execFileSync('git', ['ls-files', '*.ts', '*.mts', '*.mjs', '*.js'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && !f.endsWith('.d.ts'));
    // How many files name each identifier.
    const texts = new Map(files.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
    const filesNaming = new Map<string, number>();
    for (const text of texts.values()) {
      for (const word of new Set(text.match(/[A-Za-z_$][\w$]*/g) ?? [])) filesNaming.set(word, (filesNaming.get(word) ?? 0) + 1);
    }
    const unused: string[] = [];
    for (const [file, text] of texts) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      for (const name of exportedValues(file, text)) if ((filesNaming.get(name) ?? 0) < 2) unused.push(`${file}: ${name}`);
    }
    expect(unused, 'exported, yet named in no other file').toEqual([]);
  });

  it('finds an export that only its own file names', () => {
    expect(exportedValues('x.ts', 'export const a = 1;\nexport function b() {}\nexport type C = 1;\nexport default 2;\nconst d = 3;')).toEqual(['a', 'b']);
  });
});
