import * as tf from '@tensorflow/tfjs-core';

import type { BackendName } from '../loader/backends.ts';

const SOFTWARE = /swiftshader|llvmpipe|software|basic render/i;
/**
 * Backends that run on any browser, tried after a forced or hardware backend fails. A list of its own
 * rather than a filter of `BACKENDS`: that constant belongs to the loader (it validates `data-backend`),
 * and a value import from here would make this lazy chunk import the loader back.
 */
const ANYWHERE: readonly BackendName[] = ['wasm', 'cpu'];

/**
 * Whether WebGL runs on real hardware: the renderer is not a software rasteriser. Chromium and Safari mask
 * `RENDERER` ("WebKit WebGL") and tell the real one through `WEBGL_debug_renderer_info`; Firefox tells it
 * in `RENDERER` and warns in the console when that extension is asked for, so it is asked only when masked.
 */
function webglOnHardware(): boolean {
  try {
    // In the heavy-work worker there is no document: an OffscreenCanvas, where tfjs' WebGL backend draws too.
    const canvas = typeof document === 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    const gl = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
    if (!gl) return false;
    let renderer = String(gl.getParameter(gl.RENDERER));
    if (/^webkit webgl$/i.test(renderer)) {
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      renderer = ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : '';
    }
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return renderer !== '' && !SOFTWARE.test(renderer);
  } catch {
    return false;
  }
}

/**
 * Whether asking for a WebGPU adapter can be expected to find one. Chromium writes "No available
 * adapters." to the shop's console whenever `requestAdapter()` finds none, so the widget asks only where a
 * hardware GPU already runs WebGL, and not on desktop Linux, where Chromium enables WebGPU for few GPUs.
 * (`data-backend="webgpu"` still forces it anywhere.)
 */
export function mayHaveWebGpu(webglHardware: boolean, userAgent: string): boolean {
  const desktopLinux = /\bLinux\b/.test(userAgent) && !/Android|CrOS/.test(userAgent);
  return webglHardware && !desktopLinux;
}

/**
 * Whether WebGPU runs on real hardware. Software adapters (SwiftShader) do run tfjs correctly but about
 * 100x slower than WASM, so the automatic choice skips them.
 */
async function webgpuOnHardware(): Promise<boolean> {
  try {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return false;
    const adapter = (await gpu.requestAdapter()) as
      | { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string } }
      | null
      | undefined;
    if (!adapter) return false;
    const info = adapter.info ?? {};
    if (adapter.isFallbackAdapter || info.isFallbackAdapter) return false;
    return !SOFTWARE.test(`${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`);
  } catch {
    return false;
  }
}

/** Loads one backend's code: each is its own lazy chunk, so a page downloads only the one it uses. */
async function register(name: BackendName, assetBase: string): Promise<void> {
  switch (name) {
    case 'webgpu':
      await import('@tensorflow/tfjs-backend-webgpu');
      return;
    case 'webgl':
      await import('@tensorflow/tfjs-backend-webgl');
      return;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(assetBase);
      return;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
  }
}

/** What the GPU probes found on this device: whether WebGPU and WebGL run on real (not software) hardware. */
export interface Hardware {
  webgpu: boolean;
  webgl: boolean;
  /** When the probes ran (ms since the epoch). */
  at: number;
}

/**
 * Runs the GPU probes, silently: WebGL's first, and WebGPU's only where it can be expected to find an
 * adapter (`mayHaveWebGpu`), since a probe that finds none is a console warning in the shop's page.
 */
export async function probeHardware(): Promise<Hardware> {
  const webgl = webglOnHardware();
  const webgpu = mayHaveWebGpu(webgl, navigator.userAgent) && (await webgpuOnHardware());
  return { webgpu, webgl, at: Date.now() };
}

/**
 * Backends to try, best first: the `preferred` one if given, then those that run anywhere; else WebGPU on a
 * hardware adapter, WebGL on a hardware renderer, WASM, CPU.
 */
export function backendOrder(preferred: BackendName | undefined, hardware: Hardware | undefined): BackendName[] {
  if (preferred) return [preferred, ...ANYWHERE.filter((b) => b !== preferred)];
  const order: BackendName[] = [];
  if (hardware?.webgpu) order.push('webgpu');
  if (hardware?.webgl) order.push('webgl');
  return [...order, ...ANYWHERE];
}

/** Starts the first backend of `order` that initialises; returns its name. */
export async function startBackend(options: { order: readonly BackendName[]; assetBase: string }): Promise<BackendName> {
  tf.enableProdMode();
  for (const name of options.order) {
    try {
      await register(name, options.assetBase);
      if ((await tf.setBackend(name)) && tf.getBackend() === name) {
        await tf.ready();
        return name;
      }
    } catch {
      // Try the next backend: a failed init (no SIMD, lost context) must not stop recommendations.
    }
  }
  throw new Error(`no tfjs backend could start (tried ${options.order.join(', ')})`);
}

/**
 * Calls `onLost` once when the GPU behind the active backend goes away: WebGPU's `device.lost` (a driver
 * reset, the GPU process crashing, `device.destroy()`), or WebGL's `webglcontextlost` on tfjs' canvas.
 * A no-op for WASM and CPU.
 */
export function watchDeviceLoss(name: BackendName, onLost: (reason: string) => void): void {
  try {
    const backend = tf.backend() as unknown as {
      device?: { lost?: Promise<{ reason?: string; message?: string }> };
      gpgpu?: { gl?: { canvas?: EventTarget } };
    };
    if (name === 'webgpu') {
      void backend.device?.lost?.then((info) => onLost(`WebGPU device lost (${info?.reason ?? 'unknown'}${info?.message ? `: ${info.message}` : ''})`));
    } else if (name === 'webgl') {
      backend.gpgpu?.gl?.canvas?.addEventListener('webglcontextlost', () => onLost('WebGL context lost'), { once: true });
    }
  } catch {
    // A backend without these hooks cannot report a loss; `recommend` failures still trigger a switch.
  }
}
