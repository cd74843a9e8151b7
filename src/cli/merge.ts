// `wasmxen merge FILE...`: one report from the shard results of a campaign
// (src/campaign/). Exit status: a stress campaign's verdict (0 clean,
// 1 forbidden, 2 inconclusive), 0 for bench; 3 with one line when the files
// cannot be merged (malformed, different versions or builds, overlapping or
// missing shards).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { mergeFiles } from '../campaign/merge.ts';
import { formatMergedStress, formatMergedBench, renderMergedBenchHtml } from '../campaign/merge-report.ts';
import { scenarioJson } from '../campaign/stress-json.ts';
import { EXIT_STATUS } from '../stress/verdict.ts';
import { checkWritable } from './output.ts';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('merge the --json results of the shards of a `wasmxen stress` or `wasmxen bench` campaign into one report; '
      + 'stress exit status: 0 clean, 1 forbidden, 2 inconclusive')
    .argument('<file...>', 'shard results (every shard i/n of one campaign, once)')
    .option('--json', 'print the merged report as JSON')
    .option('--html <file>', 'bench: also write a self-contained HTML page of the merged results')
    .action((paths: string[], opts: { json?: boolean; html?: string }) => {
      if (opts.html) checkWritable(opts.html, '--html');
      const m = mergeFiles(paths);
      if (m.kind === 'stress') {
        if (opts.html) throw new Error('--html is for bench campaigns: a stress campaign\'s report is its text or --json');
        console.log(opts.json ? JSON.stringify({ ...m, scenarios: m.scenarios.map(scenarioJson) }) : formatMergedStress(m));
        if (m.forbidden_outcomes.length) {
          const [f, ...more] = m.forbidden_outcomes;
          console.error(`wasmxen merge: campaign FORBIDDEN: ${f.kind === 'watchdog' ? 'watchdog hit' : `forbidden outcome ${f.outcome}`} in ${f.scenario} `
            + `(seed ${f.seed}, shard ${f.shard}); reproduce: ${f.reproduce}${more.length ? ` (and ${more.length} more: see the report)` : ''}`);
        } else if (m.verdict === 'inconclusive') {
          console.error(`wasmxen merge: campaign inconclusive: ${m.scenarios.filter((s) => s.verdict === 'inconclusive').map((s) => `${s.name} (${s.hint})`).join('; ')}`);
        }
        process.exitCode = EXIT_STATUS[m.verdict];
        return;
      }
      if (opts.html) writeFileSync(opts.html, renderMergedBenchHtml(m));
      console.log(opts.json ? JSON.stringify(m, null, 2) : formatMergedBench(m));
      if (opts.html) console.error(`wasmxen merge: wrote the HTML report to ${opts.html}`);
    });
}
