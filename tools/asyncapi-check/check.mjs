// Parses an AsyncAPI document with the official parser (and its Spectral rules); prints every diagnostic and exits 1
// when any is an error, or when a warning names something the document should fix.
import { readFile } from 'node:fs/promises';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const path = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(path, 'utf8'), { source: path });

const severities = { [DiagnosticSeverity.Error]: 'error', [DiagnosticSeverity.Warning]: 'warning', [DiagnosticSeverity.Information]: 'info', [DiagnosticSeverity.Hint]: 'hint' };
for (const d of diagnostics) {
  console.log(`${severities[d.severity]} ${d.code} at ${d.path.join('.') || '(root)'}: ${d.message}`);
}

const errors = diagnostics.filter(d => d.severity === DiagnosticSeverity.Error);
if (!document || errors.length > 0) {
  console.log(`${path}: ${errors.length} error(s)`);
  process.exit(1);
}

console.log(`${path}: AsyncAPI ${document.version()}, ${document.channels().length} channels, ${document.operations().length} operations, ${document.components().messages().length} messages; ${diagnostics.length} diagnostic(s), no errors`);
