// Type-checks files the way a user's strict TypeScript project would (Node ESM resolution), for the
// tests that prove the published types and the doc examples compile.
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './project.js';

/** Diagnostics of `files` as "file: message" lines (file names relative to `relativeTo`); [] when clean. */
export function typeErrors(
  files: string[],
  opts: { paths?: Record<string, string[]>; relativeTo?: string } = {},
): string[] {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    ...(opts.paths ? { paths: opts.paths } : {}),
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && opts.relativeTo ? `${d.file.fileName.replace(`${opts.relativeTo}/`, '')}: ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}
