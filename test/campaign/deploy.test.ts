// The campaign runners on existing engines: the GitHub Actions workflow and
// the Kubernetes Indexed Job parse, run the commands the campaign tests run
// (`wasmxen stress … --shard i/n --json`, `wasmxen merge`) with options that
// exist; the Job's shell is run as a pod would run it (index → shard, file
// appears whole, merge over the volume); the image is built on the official
// Node image.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/wasmxen.mjs');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const help = (cmd: string) => spawnSync(process.execPath, [bin, cmd, '--help'], { encoding: 'utf8' }).stdout;

/** The `--options` a command line passes to `wasmxen CMD`. */
function optionsOf(script: string, cmd: string): string[] {
  const line = script.replace(/\\\n\s*/g, ' ').split('\n').find((l) => new RegExp(`wasmxen(\\.mjs)? ${cmd} `).test(l));
  expect(line, `a 'wasmxen ${cmd}' command in:\n${script}`).toBeDefined();
  return [...line!.matchAll(/(?:^|\s|\{)(--[a-z-]+)/g)].map((m) => m[1]);
}

function expectKnownOptions(script: string, cmd: string, needed: string[]) {
  const opts = optionsOf(script, cmd);
  for (const n of needed) expect(opts, `wasmxen ${cmd} needs ${n}`).toContain(n);
  const known = help(cmd);
  for (const o of opts) expect(known, `wasmxen ${cmd} ${o}`).toMatch(new RegExp(`\\s${o}[\\s,]`));
}

describe('GitHub Actions: .github/workflows/stress-campaign.yml', () => {
  const wf = parse(read('.github/workflows/stress-campaign.yml'));
  const runOf = (job: string) => (wf.jobs[job].steps as { run?: string }[]).map((s) => s.run ?? '').join('\n');

  it('a matrix over SHARDS shards, each running its shard of one campaign and uploading its JSON', () => {
    const shards = Number(wf.env.SHARDS);
    expect(wf.jobs.shard.strategy.matrix.shard).toEqual(Array.from({ length: shards }, (_, i) => i + 1));
    expect(wf.jobs.shard.strategy['fail-fast']).toBe(false);
    const run = runOf('shard');
    expect(run).toMatch(/npx wasmxen stress .*--shard "\$\{\{ matrix\.shard \}\}\/\$SHARDS" --json > "shard-\$\{\{ matrix\.shard \}\}\.json"/s);
    expectKnownOptions(run, 'stress', ['--seeds', '--seed', '--shard', '--json']);
    const upload = wf.jobs.shard.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload.with.path).toBe('shard-${{ matrix.shard }}.json');
    // every shard of one run draws the same seeds
    expect(wf.env.SEED).not.toMatch(/matrix/);
  });

  it('a merge job after all shards that fails on a forbidden outcome', () => {
    expect(wf.jobs.merge.needs).toBe('shard');
    const dl = wf.jobs.merge.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/download-artifact'));
    expect(dl.with).toMatchObject({ pattern: 'stress-shard-*', path: 'shards', 'merge-multiple': true });
    const run = runOf('merge');
    // the last command's exit status is the step's: merge exits 1 on forbidden (2 inconclusive)
    expect(run.trim().split('\n').at(-1)).toBe('npx wasmxen merge shards/*.json');
    expectKnownOptions(run, 'merge', []);
  });
});

describe('Kubernetes: deploy/k8s/stress-campaign.yaml', () => {
  const docs = parseAllDocuments(read('deploy/k8s/stress-campaign.yaml')).map((d) => d.toJS());
  const job = docs.find((d) => d.kind === 'Job' && d.spec.completionMode === 'Indexed');
  const merge = docs.find((d) => d.kind === 'Job' && d !== job);
  const env = (c: { env: { name: string; value: string }[] }) => Object.fromEntries(c.env.map((e) => [e.name, e.value]));

  it('an Indexed Job: JOB_COMPLETION_INDEX → --shard, SHARDS = completions, results to a volume; a merge Job over that volume', () => {
    expect(job).toBeDefined();
    const shard = job.spec.template.spec.containers[0];
    expect(Number(env(shard).SHARDS)).toBe(job.spec.completions);
    const script = shard.args.join('\n');
    expect(script).toMatch(/i=\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/);
    expectKnownOptions(script, 'stress', ['--shard', '--json', '--seed', '--seeds']);
    expect(shard.volumeMounts[0].mountPath).toBe('/results');
    expect(docs.find((d) => d.kind === 'PersistentVolumeClaim').metadata.name).toBe(job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName);
    const m = merge.spec.template.spec.containers[0];
    expect(m.image).toBe(shard.image);
    expect(env(m).SHARDS).toBe(env(shard).SHARDS);
    expect(merge.spec.template.spec.volumes).toEqual(job.spec.template.spec.volumes);
    expectKnownOptions(m.args.join('\n'), 'merge', ['--json']);
  });

  it('the pods\' shell, run as Kubernetes runs it (paths and scenario made local, budget small), shards and merges', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmxen-k8s-'));
    try {
      const local = (s: string) => s.replaceAll('node /opt/wasmxen/bin/wasmxen.mjs', `${process.execPath} --no-liftoff ${bin}`).replaceAll('/results', dir)
        .replace('--scenario all', '--scenario close-both-ends');
      const shard = job.spec.template.spec.containers[0];
      const shardEnv = { ...process.env, ...env(shard), SHARDS: '2', SEEDS: '3', SEED: '11', RUN_SECONDS: '0.2' };
      // a command that fails before writing its JSON (here: an unknown option) fails the pod
      const broken = spawnSync('/bin/sh', ['-c', local(shard.args.join('\n')).replace('--json', '--jsn')], { env: { ...shardEnv, JOB_COMPLETION_INDEX: '0' }, encoding: 'utf8' });
      expect(broken.status).not.toBe(0);
      expect(readdirSync(dir)).toEqual([]);
      for (const index of [0, 1]) {
        const r = spawnSync('/bin/sh', ['-c', local(shard.args.join('\n'))], { env: { ...shardEnv, JOB_COMPLETION_INDEX: String(index) }, encoding: 'utf8', timeout: 300_000 });
        expect(r.status, r.stderr).toBe(0);
      }
      expect(readdirSync(dir).sort()).toEqual(['shard-1.json', 'shard-2.json']);
      const j = JSON.parse(readFileSync(join(dir, 'shard-2.json'), 'utf8'));
      expect(j.shard).toEqual({ index: 2, count: 2 });
      expect(j.seeds).toEqual([12]);
      const m = merge.spec.template.spec.containers[0];
      const r = spawnSync('/bin/sh', ['-c', local(m.args.join('\n'))], { env: { ...process.env, ...env(m), SHARDS: '2' }, encoding: 'utf8', timeout: 120_000 });
      const merged = JSON.parse(readFileSync(join(dir, 'campaign.json'), 'utf8'));
      expect(merged.units).toEqual({ total: 3, run: 3, skipped: 0 });
      expect(r.status).toBe({ clean: 0, forbidden: 1, inconclusive: 2 }[merged.verdict as string]);
      expect(r.stdout).toMatch(/campaign verdict: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  it('builds the package on the official Node image and runs the CLI', () => {
    const d = read('Dockerfile');
    expect(d).toMatch(/^FROM node:\d+(-[a-z]+)*(-slim)?$/m);
    expect(d).toMatch(/^RUN npm run build/m);
    expect(d).toMatch(/^ENTRYPOINT \["node", "\/opt\/wasmxen\/bin\/wasmxen\.mjs"\]$/m);
    const job = parseAllDocuments(read('deploy/k8s/stress-campaign.yaml')).map((x) => x.toJS()).find((x) => x.kind === 'Job');
    // the manifest calls the CLI where the image puts it
    expect(job.spec.template.spec.containers[0].args.join('\n')).toContain('/opt/wasmxen/bin/wasmxen.mjs');
    expect(d).toMatch(/^WORKDIR \/opt\/wasmxen$/m);
  });
});
