/**
 * `npm run bench:gate [-- --candidate <dir> --champion <dir> --repeat N]`
 *
 * Times the whole gate (scoring both models with ONNX Runtime, 2,000 single-row latency calls,
 * golden outputs, data checks, two 1,000-resample paired bootstraps, DeLong per slice, report) on the
 * candidate's evaluation week (~120k flights) and on longer windows after it (~470k and ~520k
 * flights, unseen by both models). Without --candidate/--champion it uses models trained with
 * the default parameters (asOf 2001-04-01 as champion, 2001-05-01 as candidate), cached in
 * .cache/fixtures/.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fixtureModel } from '../testing/model-fixtures.ts';
import { runGate } from '../gates/run-gate.ts';
import { loadFlights } from '../lib/data/flights.ts';
import { writeManifest } from '../lib/manifest/store.ts';
import { addVersion, artifactPath } from '../lib/registry/registry.ts';
import type { ModelCard } from '../lib/registry/card.ts';
import { nodeRepoFiles } from '../lib/util/repo-files.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      candidate: { type: 'string' },
      champion: { type: 'string' },
      repeat: { type: 'string', default: '1' },
    },
  });
  const log = (line: string) => process.stderr.write(`[bench:gate] ${line}\n`);
  const table = await loadFlights({ log });
  const candidateDir = values.candidate ?? (await fixtureModel({ asOf: '2001-05-01' }, { table, log })).dir;
  const championDir = values.champion ?? (await fixtureModel({ asOf: '2001-04-01' }, { table, log })).dir;
  const candidate = JSON.parse(await readFile(path.join(candidateDir, 'card.json'), 'utf8')) as ModelCard;

  // A throw-away repository whose manifest names the champion.
  const repo = await mkdtemp(path.join(os.tmpdir(), 'taxiway-bench-gate-'));
  const out = await mkdtemp(path.join(os.tmpdir(), 'taxiway-bench-gate-out-'));
  try {
    const files = nodeRepoFiles(repo);
    const championCard = await readFile(path.join(championDir, 'card.json'), 'utf8');
    const champion = JSON.parse(championCard) as ModelCard;
    await addVersion(files, {
      model: new Uint8Array(await readFile(path.join(championDir, 'model.onnx'))),
      cardText: championCard,
    });
    await writeManifest(files, {
      schemaVersion: 1,
      model: 'flight-delay',
      champion: { version: champion.version, path: artifactPath(champion.version), sha256: champion.artifact.sha256 },
      previous: null,
      challenger: null,
      reason: 'bench',
      updatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    const policyFile = path.resolve('gates/policy.json');
    const asOf = candidate.data.asOf.slice(0, 10);
    const windows = [
      { name: 'evaluation week', window: undefined },
      { name: '4 weeks after asOf', window: { start: asOf, end: shift(asOf, 28) } },
      { name: '31 days after asOf', window: { start: asOf, end: shift(asOf, 31) } },
    ];
    const rows: string[] = [];
    for (const w of windows) {
      for (let i = 0; i < Number(values.repeat); i++) {
        const load = os.loadavg()[0];
        const { evidence: e } = await runGate({
          repoDir: repo,
          candidateDir,
          policyFile,
          outDir: out,
          window: w.window,
          table,
        });
        const t = e.timings;
        const s = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(1);
        rows.push(
          `| ${w.name} | ${e.evaluation.rows.toLocaleString('en-US')} | **${s(t.totalMs)}** | ${s((t.prepareMs ?? 0) + (t.inputsMs ?? 0))} | ${s(t.scoreCandidateMs)} + ${s(t.scoreChampionMs)} | ${s(t.latencyMs)} | ${s(t.statisticsMs)} | ${s(t.evaluateMs)} | ${e.verdict} | ${load.toFixed(1)} |`,
        );
        log(rows.at(-1)!);
      }
    }
    process.stdout.write(
      [
        `candidate ${candidate.version} (${candidate.trees} trees), champion ${champion.version} (${champion.trees} trees); ${os.availableParallelism()} cores, ${process.version}`,
        '',
        '| window | flights | total s | raw flights + inputs s | score cand + champ s | latency (2,000 calls) s | bootstraps + slices s | evaluate s | verdict | load avg before |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
        ...rows,
        '',
      ].join('\n'),
    );
  } finally {
    await rm(repo, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  }
}

function shift(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(2);
});
