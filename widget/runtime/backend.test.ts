import { describe, expect, it } from 'vitest';
import { backendOrder, mayHaveWebGpu } from './backend.ts';

const UA = {
  windows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
  mac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
  linux: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
  android: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
  chromeos: 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
};

describe('backend probing', () => {
  it('asks for a WebGPU adapter only where a hardware GPU runs WebGL, and not on desktop Linux (a probe that finds none is a console warning)', () => {
    for (const ua of [UA.windows, UA.mac, UA.android, UA.chromeos]) {
      expect(mayHaveWebGpu(true, ua), ua).toBe(true);
      expect(mayHaveWebGpu(false, ua), ua).toBe(false);
    }
    expect(mayHaveWebGpu(true, UA.linux)).toBe(false);
  });

  it('tries hardware GPUs first, then WASM and CPU; a forced backend first of all', () => {
    expect(backendOrder(undefined, { webgpu: true, webgl: true, at: 0 })).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(backendOrder(undefined, { webgpu: false, webgl: false, at: 0 })).toEqual(['wasm', 'cpu']);
    expect(backendOrder('webgpu', undefined)).toEqual(['webgpu', 'wasm', 'cpu']);
  });
});
