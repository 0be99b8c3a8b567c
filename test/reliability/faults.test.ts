/**
 * Faults of the Node server, for real: SIGKILL of the edge server at random points of bursts of
 * federated uploads (no acknowledged update lost, none counted twice, rounds and registry consistent),
 * and a short burst of concurrent devices (every 202 stored, exactly once). `npm run bench -- reliability`
 * runs the same harnesses at scale (many kill trials; 1,000 devices for 60 s).
 */
import { describe, expect, it } from 'vitest';
import { crashTrials, loadTest } from '../support/reliability/federated-server.ts';

describe('Node edge server under faults and load (real child process)', () => {
  it('kill -9 at random points of four bursts of uploads: no acknowledged update lost or counted twice', { timeout: 120_000 }, async () => {
    const report = await crashTrials({ trials: 4, seed: Date.now() % 1000 });
    console.log(`kill -9 trials: ${JSON.stringify(report)}`);
    expect(report.lost).toBe(0);
    expect(report.countedTwice).toBe(0);
    expect(report.badRounds).toBe(0);
    expect(report.registryConsistent).toBe(true);
    expect(report.acknowledged).toBeGreaterThan(0);
  });

  it('100 concurrent devices, two admission tokens each, uploading at once: every acknowledged update stored, exactly once', { timeout: 60_000 }, async () => {
    const report = await loadTest({ devices: 100, seconds: 2 });
    console.log(`load smoke: ${JSON.stringify(report)}`);
    expect(report.acknowledged).toBeGreaterThan(100);
    expect(report.lost).toBe(0);
    expect(report.countedTwice).toBe(0);
    expect(report.stored).toBe(report.acknowledged);
    expect(report.other).toEqual({});
  });
});
