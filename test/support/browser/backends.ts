/**
 * Strict tfjs backend switching for browser tests: a test that asks for `webgpu` must fail, not quietly
 * run on `cpu`, when the backend cannot start. Importing this module registers all four backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { equal, ok } from './assert.ts';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Fastest-first, the order the widget tries them in. */
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * Where the WASM backend's `.wasm` binaries are served from: wtr serves the repository root, so the
 * installed package's `dist/` is reachable as is.
 */
export const WASM_PATH = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

setWasmPaths(WASM_PATH);

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string };
}
interface NavigatorGpu {
  gpu?: { requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null> };
}

/** What actually executes the backend (adapter or GL renderer), for test logs. */
async function describeDevice(name: BackendName): Promise<string> {
  if (name === 'webgpu') {
    const gpu = (navigator as NavigatorGpu).gpu;
    ok(gpu, 'webgpu: navigator.gpu is missing (is --enable-unsafe-webgpu set and the page a secure context?)');
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    ok(adapter, 'webgpu: navigator.gpu.requestAdapter() returned null');
    const info = adapter.info ?? {};
    return `adapter ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') || '(no info)'}`;
  }
  if (name === 'webgl') {
    const gl = document.createElement('canvas').getContext('webgl2');
    ok(gl, 'webgl: the browser gives no WebGL2 context (see the Chromium flags in web-test-runner.config.mjs)');
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return `renderer ${renderer}`;
  }
  if (name === 'wasm') return `crossOriginIsolated=${String(globalThis.crossOriginIsolated)}`;
  return 'JavaScript';
}

/**
 * Makes `name` the active tfjs backend and proves it is: `tf.setBackend` resolves `false` (and keeps
 * the previous backend) when initialisation fails, so both its result and `tf.getBackend()` are checked.
 * Returns a one-line description of the device for logs.
 */
export async function useBackend(name: BackendName): Promise<string> {
  const device = await describeDevice(name);
  // tfjs-backend-webgl asks for its context with failIfMajorPerformanceCaveat. Headless Chromium 156
  // does not flag SwiftShader as such a caveat (the test passes without this line), but a browser that
  // does would make webgl fail to start on GPU-less CI; tfjs' own test switch lifts the check.
  if (name === 'webgl') tf.env().set('SOFTWARE_WEBGL_ENABLED', true);
  const switched = await tf.setBackend(name);
  await tf.ready();
  ok(switched, `tf.setBackend('${name}') failed to initialise the backend (${device})`);
  equal(tf.getBackend(), name, `active tfjs backend after tf.setBackend('${name}')`);
  return device;
}
