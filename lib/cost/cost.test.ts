import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCostInputs } from './inputs.ts';
import { trafficProfile } from './measured.ts';
import { servingUnitCosts } from './model.ts';
import { costSections, normalizeTables, readSections } from './tables.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const inputs = () => JSON.parse(readFileSync(path.join(ROOT, 'docs', 'cost-inputs.json'), 'utf8'));

describe('COST.md', () => {
  it('holds the tables npm run cost computes from docs/cost-inputs.json (npm run cost -- --write updates them)', () => {
    const sections = costSections(parseCostInputs(inputs()));
    const committed = readSections(readFileSync(path.join(ROOT, 'COST.md'), 'utf8'), Object.keys(sections));
    for (const [name, body] of Object.entries(sections)) {
      expect(committed[name], `section ${name}`).toBeDefined();
      expect(normalizeTables(committed[name]!), `section ${name}`).toBe(normalizeTables(body));
    }
  });

  it('prices serving from the measured throughput: cost per million = price per hour / millions an hour', () => {
    const x = parseCostInputs(inputs());
    const unit = servingUnitCosts(x);
    const peak = unit.perMillion.find((p) => p.id === 'vm-single-peak')!;
    expect(peak.usd).toBeCloseTo(x.prices.vm.usd / ((x.measured.serving.singleRowRps * 3600) / 1e6), 12);
  });

  it('refuses inputs with a price lacking its source, naming the field', () => {
    const x = inputs();
    delete x.prices.vm.source;
    expect(() => parseCostInputs(x)).toThrow(/prices\.vm\.source/);
  });

  it('profiles traffic: flights a day and the busiest hour over the average', () => {
    const p = trafficProfile([0, 10, 20, 60, 120 + 59]);
    expect(p.flightsPerDay).toBeCloseTo((5 / 3) * 24);
    expect(p.peakToAverage).toBeCloseTo(3 / (5 / 3));
  });
});
