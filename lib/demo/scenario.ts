/**
 * What a demo scenario is given and gives back. Scenarios are registered by name in
 * `scenarios.ts`; `runDemo` starts the stack, runs one, and returns its timeline and figures.
 */
import type { DemoStack } from './stack.ts';
import type { Timeline } from './timeline.ts';

export interface DemoSettings {
  /** Days of training data for the scheduled run (the TRAIN_DAYS repository variable); null: all data. */
  trainDays: number | null;
  /** The worse candidate's dispatch inputs. */
  badTrainDays: number;
  badParams: string;
}

export const DEFAULT_SETTINGS: DemoSettings = {
  // All data, as the committed champion was trained: one more week of it passed the gate (AUC 0.7239
  // vs 0.7184 on 2001-05-01..08) where 84 days failed four hub slices and the distance=2000+ slice.
  trainDays: null,
  // A week of data and five trees: fails the floors, non-regression and most slices, in ~10 s.
  badTrainDays: 7,
  badParams: '{"trees": 5}',
};

export interface DemoContext {
  stack: DemoStack;
  timeline: Timeline;
  settings: DemoSettings;
  log: (line: string) => void;
  /** Named measurements in ms (merge → serving, revert → serving, …). */
  figures: Record<string, number>;
  /** Where to look afterwards: label → URL. */
  where: { label: string; url: string }[];
}

export interface DemoScenario {
  name: string;
  /** One line for `npm run demo -- --help`. */
  summary: string;
  /** The figures it measures, key in `DemoContext.figures` → label; each is a time until serving. */
  figures: Record<string, string>;
  run(context: DemoContext): Promise<void>;
}
