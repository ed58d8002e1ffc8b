// Synth scaling of WeatherPipeline: synthesis time, template bytes and resource count for N cities.
//
//   npx ts-node --transpile-only bench/synth-scaling.ts [--reps 5] [--cities 1,10,50,100,1000] [--monitoring false] [--out bench/results/synth.json]
//
// Every repetition synthesizes each city count once, in turn (interleaved), in one Node process, so the
// ratios to 1 city compare numbers measured in the same run on the same (busy) machine. One untimed warm-up
// syntheses first (module loading, JIT). A city count that fails to synthesize is reported with its error.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { WeatherPipeline } from '../src';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const reps = Number(arg('reps', '5'));
const counts = arg('cities', '1,10,50,100,1000').split(',').map(Number);
const out = arg('out', path.join(__dirname, 'results', 'synth.json'));
// `--monitoring false`: WeatherPipeline without PipelineMonitoring (one freshness alarm for all cities since issue 10).
const monitoringEnabled = arg('monitoring', 'true') !== 'false';

/** N distinct, valid cities spread over the globe (slug `city-0001`, …). */
function cities(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    name: `City ${String(i + 1).padStart(4, '0')}`,
    latitude: Math.round((-60 + ((i * 37) % 120) + (i % 7) * 0.1) * 1e4) / 1e4,
    longitude: Math.round((-170 + ((i * 53) % 340) + (i % 11) * 0.1) * 1e4) / 1e4,
  }));
}

interface Sample { ms: number; templateBytes: number; resources: number; resourceTypes: Record<string, number> }

function synthOnce(n: number): Sample {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-bench-'));
  try {
    const start = process.hrtime.bigint();
    const app = new App({ outdir });
    const stack = new Stack(app, 'Weather', { env: { account: '111122223333', region: 'eu-west-3' } });
    new WeatherPipeline(stack, 'Weather', { cities: cities(n), monitoringEnabled });
    const assembly = app.synth();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const artifact = assembly.getStackByName('Weather');
    const text = fs.readFileSync(path.join(assembly.directory, artifact.templateFile), 'utf-8');
    const template = JSON.parse(text);
    const resourceTypes: Record<string, number> = {};
    for (const r of Object.values<any>(template.Resources ?? {})) {
      resourceTypes[r.Type] = (resourceTypes[r.Type] ?? 0) + 1;
    }
    return { ms, templateBytes: Buffer.byteLength(text), resources: Object.keys(template.Resources ?? {}).length, resourceTypes };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (let w = 0; w < 2; w++) { try { synthOnce(10); } catch { /* warm-up only */ } }
const samples = new Map<number, Sample[]>();
const errors = new Map<number, string>();
for (let r = 0; r < reps; r++) {
  for (const n of counts) {
    if (errors.has(n)) continue;
    try {
      const s = synthOnce(n);
      samples.set(n, [...(samples.get(n) ?? []), s]);
      process.stderr.write(`rep ${r + 1} cities ${n}: ${s.ms.toFixed(0)} ms, ${s.templateBytes} B, ${s.resources} resources\n`);
    } catch (e: any) {
      errors.set(n, String(e?.message ?? e).split('\n')[0]);
      process.stderr.write(`cities ${n}: FAILED: ${errors.get(n)}\n`);
    }
  }
}

const base = samples.get(counts[0]);
const baseMs = base ? median(base.map(s => s.ms)) : NaN;
const rows = counts.map(n => {
  const ss = samples.get(n);
  if (!ss) return { cities: n, error: errors.get(n) };
  const ms = median(ss.map(s => s.ms));
  // Per-rep ratio to the first city count of the same rep, then the median of those ratios.
  const ratios = ss.map((s, i) => (base && base[i] ? s.ms / base[i].ms : NaN));
  return {
    cities: n, reps: ss.length, medianMs: Math.round(ms), minMs: Math.round(Math.min(...ss.map(s => s.ms))),
    maxMs: Math.round(Math.max(...ss.map(s => s.ms))), medianRatioToFirst: Number(median(ratios).toFixed(2)),
    ratioOfMedians: Number((ms / baseMs).toFixed(2)), templateBytes: ss[0].templateBytes, resources: ss[0].resources,
  };
});
const first = samples.get(counts[0])?.[0]?.resourceTypes ?? {};
const last = [...counts].reverse().map(n => samples.get(n)?.[0]).find(Boolean)?.resourceTypes ?? {};
const result = {
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavg: os.loadavg() },
  monitoringEnabled, reps, rows,
  resourceTypesFirst: first,
  resourceTypeDiffs: Object.fromEntries(Object.keys({ ...first, ...last }).filter(t => first[t] !== last[t]).map(t => [t, [first[t] ?? 0, last[t] ?? 0]])),
};
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
