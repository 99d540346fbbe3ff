import { describe, expect, it } from 'vitest';
import { progressLine, progressReporter } from './report.ts';
import type { ReplayProgress } from './replay.ts';

const progress = (elapsedMs: number, answered: number): ReplayProgress => ({
  elapsedMs,
  predictionRequests: 100,
  predictionsAnswered: answered,
  feedbackTotal: 100,
  feedbackAnswered: answered / 2,
  failed: 1,
});

describe('progress', () => {
  it('draws a bar on a terminal and a plain line elsewhere', () => {
    expect(progressLine(progress(1500, 50), true)).toBe(
      '[###########...................]  38% predict 50/100, feedback 25/100, failed 1, 1.5 s',
    );
    expect(progressLine(progress(1500, 50), false)).toBe(
      'replay: 38% (predict 50/100, feedback 25/100, failed 1, 1.5 s)',
    );
  });

  it('redraws in place on a terminal and throttles plain lines', () => {
    const written: string[] = [];
    const tty = progressReporter({ write: (t: string) => written.push(t), isTTY: true });
    tty.onProgress(progress(0, 0));
    tty.onProgress(progress(250, 10));
    tty.done();
    expect(written).toHaveLength(3);
    expect(written[1].startsWith('\r[')).toBe(true);
    expect(written[2]).toBe('\n');

    const lines: string[] = [];
    const plain = progressReporter({ write: (t: string) => lines.push(t) }, 1000);
    for (let ms = 0; ms <= 2500; ms += 250) plain.onProgress(progress(ms, ms / 25));
    plain.done();
    expect(lines).toEqual([
      'replay: 0% (predict 0/100, feedback 0/100, failed 1, 0.0 s)\n',
      'replay: 30% (predict 40/100, feedback 20/100, failed 1, 1.0 s)\n',
      'replay: 60% (predict 80/100, feedback 40/100, failed 1, 2.0 s)\n',
    ]);
  });
});
