/**
 * The demo's scenarios by name (`npm run demo -- --scenario <name>`). A scenario lives in its own
 * file under lib/demo/ and is added here with one line.
 */
import { lifecycleScenario } from './lifecycle.ts';
import { progressiveScenario } from './progressive.ts';
import type { DemoScenario } from './scenario.ts';

export const DEFAULT_SCENARIO = lifecycleScenario.name;

export const SCENARIOS: ReadonlyMap<string, DemoScenario> = new Map(
  [lifecycleScenario, progressiveScenario].map((scenario) => [scenario.name, scenario]),
);

export function scenarioNamed(name: string): DemoScenario {
  const scenario = SCENARIOS.get(name);
  if (!scenario) throw new Error(`unknown demo scenario "${name}" (known: ${[...SCENARIOS.keys()].join(', ')})`);
  return scenario;
}
