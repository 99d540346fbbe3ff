/**
 * The rule files: promtool's syntax check and unit tests (monitoring/*.test.yml), the same checks
 * on the time-compressed copy the real-Prometheus test and the scenarios load, and the conventions
 * every alert follows (severity, action, a runbook anchor that exists in ROLLBACK.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRuleFile, loadRuleFile, type RuleFile, scaleRuleFile } from '../lib/monitoring/rules.ts';

const DIR = path.resolve(import.meta.dirname);
const RULE_FILES = ['recording.yml', 'alerts.yml'].map((f) => path.join(DIR, f));
const TEST_FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.test.yml'))
  .map((f) => path.join(DIR, f));
const scratch = mkdtempSync(path.join(tmpdir(), 'taxiway-rules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function promtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { encoding: 'utf8', cwd: DIR });
  if (result.error)
    throw new Error(`promtool is not installed: run scripts/setup-test-deps.sh (${result.error.message})`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function expectPromtoolOk(args: string[]): string {
  const { status, output } = promtool(args);
  if (status !== 0) throw new Error(`promtool ${args.join(' ')} failed (exit ${status}):\n${output}`);
  return output;
}

describe('monitoring rules', () => {
  it('pass promtool check rules', () => {
    expect(expectPromtoolOk(['check', 'rules', ...RULE_FILES])).toMatch(/SUCCESS: \d+ rules found[\s\S]*SUCCESS/);
  });

  it('load in the example Prometheus configuration (promtool check config)', () => {
    expect(expectPromtoolOk(['check', 'config', 'prometheus.example.yml'])).toMatch(/SUCCESS/);
  });

  it('pass their promtool unit tests, which cover every alert firing', async () => {
    expect(TEST_FILES.length).toBeGreaterThan(0);
    expectPromtoolOk(['test', 'rules', ...TEST_FILES]);
    const tested = new Set<string>();
    for (const file of TEST_FILES) {
      const text = readFileSync(file, 'utf8');
      // An alert counts as tested when some test expects it to fire (exp_alerts under its name).
      for (const m of text.matchAll(/alertname: (\w+)\n\s+exp_alerts:/g)) tested.add(m[1]);
    }
    const alerts = (await loadRuleFile(RULE_FILES[1])).groups.flatMap((g) => g.rules.map((r) => r.alert!));
    expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
  });

  it('give every alert a severity, an action and a runbook anchor that exists in ROLLBACK.md', async () => {
    const rollback = readFileSync(path.join(DIR, '..', 'ROLLBACK.md'), 'utf8');
    const anchors = new Set([...rollback.matchAll(/^#{1,6} (.+)$/gm)].map((m) => githubAnchor(m[1])));
    for (const group of (await loadRuleFile(RULE_FILES[1])).groups)
      for (const rule of group.rules) {
        expect(rule.labels?.severity, rule.alert).toMatch(/^(critical|warning)$/);
        expect(rule.labels?.action, rule.alert).toMatch(/^(rollback|retrain|investigate)$/);
        const url = rule.annotations?.runbook_url ?? '';
        expect(url, rule.alert).toMatch(/^ROLLBACK\.md#/);
        expect(anchors.has(url.slice('ROLLBACK.md#'.length)), `${rule.alert}: ${url}`).toBe(true);
      }
  });

  it('still pass promtool check when compressed 60× in time (what the real-Prometheus test loads)', async () => {
    const scaled: RuleFile[] = [];
    for (const file of RULE_FILES) {
      const out = path.join(scratch, path.basename(file));
      const rules = scaleRuleFile(await loadRuleFile(file), 60);
      scaled.push(rules);
      writeFileSync(out, formatRuleFile(rules));
    }
    expectPromtoolOk(['check', 'rules', ...scaled.map((_, i) => path.join(scratch, path.basename(RULE_FILES[i])))]);
    const drift = scaled[1].groups.flatMap((g) => g.rules).find((r) => r.alert === 'TaxiwayFeatureDrift')!;
    expect(drift.for).toBe('5s');
    const psi = scaled[0].groups.flatMap((g) => g.rules).find((r) => r.record === 'taxiway:drift_rows:increase1h')!;
    expect(psi.expr).toContain('[1m]');
  });
});

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- ]/gu, '')
    .replace(/ /g, '-');
}
