import { ContractError, isRecord } from '../../core/errors.ts';
import { fromFloat16 } from '../../core/artifact/weights-codec.ts';
import { size, type HostTensor } from '../../core/model/weights.ts';

/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
 * length, a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}}`, then the raw data.
 * Floats are widened to float32 on read.
 */
const DTYPES: Record<string, { bytes: number; read: (b: Uint8Array) => Float32Array }> = {
  F32: { bytes: 4, read: (b) => new Float32Array(b.slice().buffer) },
  F16: { bytes: 2, read: (b) => fromFloat16(new Uint16Array(b.slice().buffer)) },
  BF16: {
    bytes: 2,
    read: (b) => {
      const halves = new Uint16Array(b.slice().buffer);
      const words = new Uint32Array(halves.length);
      for (let i = 0; i < halves.length; i++) words[i] = halves[i]! << 16;
      return new Float32Array(words.buffer);
    },
  },
  F64: { bytes: 8, read: (b) => Float32Array.from(new Float64Array(b.slice().buffer)) },
};

export function readSafetensors(bytes: Uint8Array, file: string): Map<string, HostTensor> {
  const bad = (message: string): never => {
    throw new ContractError('bad_safetensors', `${file}: ${message}`);
  };
  if (bytes.byteLength < 8) bad('too short for a safetensors header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8 || headerLength > 100_000_000) bad(`header length ${headerLength} exceeds the file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    bad('header is not valid JSON');
  }
  if (!isRecord(header)) return bad('header must be a JSON object');
  const data = bytes.subarray(8 + headerLength);
  const out = new Map<string, HostTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isRecord(entry) || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets)) bad(`tensor "${name}" has no shape/data_offsets`);
    const e = entry as { dtype: unknown; shape: number[]; data_offsets: number[] };
    const dtype = DTYPES[String(e.dtype)];
    if (!dtype) bad(`tensor "${name}" has dtype ${String(e.dtype)}; supported: ${Object.keys(DTYPES).join(', ')}`);
    const [begin, end] = e.data_offsets;
    if (!e.shape.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor "${name}" has a bad shape`);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin! < 0 || end! > data.byteLength || end! - begin! !== size(e.shape) * dtype!.bytes) {
      bad(`tensor "${name}" has data_offsets [${begin}, ${end}] that do not fit its shape or the file`);
    }
    out.set(name, { shape: e.shape, values: dtype!.read(data.subarray(begin, end)) });
  }
  return out;
}

/** Writes float32 tensors as safetensors (used by tests and by anyone exporting back to PyTorch). */
export function writeSafetensors(tensors: ReadonlyMap<string, HostTensor>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.values.byteLength] };
    offset += t.values.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // align data to 8 bytes, as the reference writer does
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), at);
    at += t.values.byteLength;
  }
  return out;
}
