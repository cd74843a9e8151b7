// `npm run docs:figures`: every measured figure in README.md and
// bench/README.md, produced by one real run of the CLI and written between
// `<!-- figures:NAME -->` and `<!-- /figures:NAME -->`, each block stamped
// with the machine, its load average, the date and the commit. Nothing in
// those blocks is typed by hand; a figure that is not in a block is prose
// about method, not a measurement. `--quick` runs everything shorter (to try
// the script; do not commit its output). `--bench-only` runs only the
// benchmark and rewrites only its blocks.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'wasmxen.mjs');
const quick = process.argv.includes('--quick');
const benchOnly = process.argv.includes('--bench-only');
const work = mkdtempSync(join(tmpdir(), 'wasmxen-figures-'));

/** Block names this script writes, per file (test/readme checks every block in the docs is one of these). */
export const BLOCKS = {
  'README.md': ['run', 'bench-summary', 'stress-clean', 'stress-inject', 'detect'],
  'bench/README.md': ['bench-table', 'targets'],
};

function wasmxen(args, { allowFail = false } = {}) {
  process.stderr.write(`docs:figures: wasmxen ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0 && !allowFail) throw new Error(`wasmxen ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

function stamp() {
  const c = cpus();
  const commit = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim() || 'unknown';
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return `_Measured by \`npm run docs:figures\` on ${date} UTC: ${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, `
    + `${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}, load average ${loadavg()[0].toFixed(2)} at the start, commit ${commit}._`;
}

function replaceBlock(text, file, name, content) {
  const open = `<!-- figures:${name} -->\n`;
  const close = `<!-- /figures:${name} -->`;
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  if (a < 0 || b < a) throw new Error(`${file} has no block ${open.trim()} … ${close}`);
  return text.slice(0, a + open.length) + content.trimEnd() + '\n' + text.slice(b);
}

/** src/bench/markdown.ts, bundled on the fly (its formatting is the CLI's own, src/bench/format.ts). */
async function loadMarkdown() {
  const esbuild = await import('esbuild');
  const out = join(work, 'markdown.mjs');
  await esbuild.build({ entryPoints: [join(root, 'src/bench/markdown.ts')], bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'error' });
  return import(out);
}

const fence = (cmd, out) => `\`\`\`\n$ ${cmd}\n${out.trimEnd()}\n\`\`\``;

// ---------------------------------------------------------------- figures
const figures = { 'README.md': {}, 'bench/README.md': {} };

if (!benchOnly) { // the default scenario, as `npm start` runs it
  const args = quick ? ['run', '--seconds', '0.5'] : ['run'];
  const s = stamp();
  const r = wasmxen(args);
  figures['README.md'].run = `${fence(`wasmxen ${args.join(' ')}`, r.stdout)}\n\n${s}`;
}

if (!benchOnly) { // a clean stress run and a detected injection
  const args = ['stress', '--scenario', 'unmask-tail', '--seconds', quick ? '0.5' : '2', '--seed', '1'];
  const s = stamp();
  const r = wasmxen(args, { allowFail: true });
  figures['README.md']['stress-clean'] = `${fence(`wasmxen ${args.join(' ')}`, r.stdout + r.stderr)}\n\nExit status ${r.status}. ${s}`;
  const inj = ['stress', '--inject', 'no-busy', '--seconds', '30', '--seed', '7', '--trace', 'no-busy.json'];
  const s2 = stamp();
  const r2 = wasmxen(inj, { allowFail: true });
  figures['README.md']['stress-inject'] = `${fence(`wasmxen ${inj.join(' ')}`, r2.stdout + r2.stderr)}\n\nExit status ${r2.status}. ${s2}`;
}

if (!benchOnly) { // time and iterations to detection of every injectable bug
  const list = wasmxen(['stress', '--list']).stdout;
  const names = [...list.matchAll(/^ {2}(\S+)\s+.*\[(\S+)\]$/gm)].map((m) => [m[1], m[2]]);
  const s = stamp();
  const rows = ['| `--inject` | scenario | detected as | iterations | seconds |', '|---|---|---|--:|--:|'];
  for (const [bug, scenario] of names) {
    const r = wasmxen(['stress', '--inject', bug, '--seconds', '120', '--seed', '1', '--json'], { allowFail: true });
    const sc = JSON.parse(r.stdout).scenarios[0];
    const f = sc.failure;
    rows.push(`| ${bug} | ${scenario} | ${f ? `${f.kind === 'watchdog' ? 'watchdog' : f.outcome}` : '**not detected**'} | ${sc.iterations.toLocaleString('en-US')} | ${(f ? f.at_seconds : sc.seconds).toFixed(2)} |`);
  }
  figures['README.md'].detect = `${rows.join('\n')}\n\n${s} Seed 1; seconds from the scenario's first iteration (from its start if none ran). A watchdog detection takes the stall bound (\`--stall-ms\`, 3 s) by construction.`;
}

{ // the benchmark
  const args = ['bench', '--json', ...(quick ? ['--seconds', '0.2', '--runs', '1'] : [])];
  const s = stamp();
  const report = JSON.parse(wasmxen(args).stdout);
  const md = await loadMarkdown();
  const runLine = `\`wasmxen ${args.join(' ')}\` (${report.config.runs} run(s) × ${report.config.seconds} s per cell after a ${report.config.warmup_seconds} s warm-up).`;
  figures['bench/README.md']['bench-table'] = `${runLine} ${s}\n\n${md.markdownTable(report)}`;
  figures['bench/README.md'].targets = `${md.targetsTable(report)}\n\nIn the run above: ${s}`;
  const summary = md.benchSummary(report);
  figures['README.md']['bench-summary'] = summary ? `${summary}. ${s}` : '(the run had no fifo-1to1 or fifo-pingpong result)';
}

// ------------------------------------------------------------------- write
for (const [file, blocks] of Object.entries(figures)) {
  const path = join(root, file);
  let text = readFileSync(path, 'utf8');
  for (const [name, content] of Object.entries(blocks)) text = replaceBlock(text, file, name, content);
  writeFileSync(path, text);
  process.stderr.write(`docs:figures: wrote ${Object.keys(blocks).join(', ')} into ${file}\n`);
}
rmSync(work, { recursive: true, force: true });
