/**
 * How every Chromium here is launched (tests, the browser rig, benchmarks): Debian's `chromium`, with no
 * network beyond loopback, no background services, and root allowed (CI runs as root).
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * WebGPU and WebGL on a GPU-less machine: WebGPU needs `--enable-unsafe-webgpu` (its adapter is then
 * SwiftShader), WebGL runs on ANGLE's SwiftShader. Do not use `--use-angle=vulkan`: here it gives no
 * WebGL context at all.
 */
export const SOFTWARE_GPU_ARGS = ['--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/** Debian's Chromium, headless, through Playwright, with `CHROMIUM_ARGS` and `extraArgs`. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
