/**
 * The one wire format of federated learning, shared by the widget (encodes a device update), the edge
 * server (decodes updates; encodes the deltas between published versions) and the CLI (`simulate`).
 *
 * Two kinds of frame share one layout:
 * - an **update**: what one device learnt on top of `baseVersion` (sent to `POST /v1/updates`);
 * - a **version delta**: published version `toVersion` minus `fromVersion` (served by
 *   `GET /v1/models/:name/deltas`).
 *
 * Both carry dense deltas for the transformer/position/layer-norm tensors and *sparse rows* of the item
 * table: a device touches a few dozen of its thousands of rows, so sending only those (index + values)
 * is what keeps an update small. Values are int8 with one scale per tensor (per row for item rows),
 * float16 or float32.
 *
 * Layout (little-endian; varint = unsigned LEB128, at most 32 bits):
 *
 *     "ER" kind:u8('U'|'D') format:u8(1|2)  valueEncoding:u8(0 int8, 1 float16, 2 float32)
 *     model:str  version:str  (update) nonce:16 bytes | (delta) toVersion:str       str = varint length + UTF-8
 *     numItems dim blocks heads maxLen: varint each                                 the model's shape
 *     (format 2) numFeatures: varint                                                a model with content features
 *     denseCount:varint, then per tensor:
 *       param:varint (index into paramShapes(config); 0, the item table, is not allowed here)
 *       layout:u8 (0 all values | 1 sparse: k:varint, then k index gaps:varint)
 *       values (n or k of them)
 *     rowCount:varint, rowCount index gaps:varint (rows 1..numItems, strictly increasing), then per row: dim values
 *
 * A values block is, for int8: scale:f32 then int8 codes in -127..127 (value = code * scale; one block
 * per dense tensor and one per row); for float16: u16 each; for float32: f32 each. Index gaps: the
 * first is the index itself, each next one is `index - previous - 1`, so increasing order is built in.
 *
 * Format 2 is format 1 plus the model's `numFeatures` (issue 18: its feature table `feat_emb`, the last
 * dense parameter, travels like the other dense tensors, sparse by its rows). A model without content
 * features is written as format 1, byte for byte as before, and both are read.
 */
import { MODEL_NAME, VERSION_LABEL } from '../artifact/manifest.ts';
import { fromFloat16, toFloat16 } from '../artifact/weights-codec.ts';
import { ContractError, show } from '../errors.ts';
import { NONCE_BYTES } from './wire.ts';
import { paramShapes, parseModelConfig, type ModelConfig } from '../model/config.ts';
import { size } from '../model/weights.ts';

/** How delta values travel. `int8` is the default for updates: a quarter of float32, within 1/254 of each tensor's largest value. */
export const VALUE_ENCODINGS = ['int8', 'float16', 'float32'] as const;
export type ValueEncoding = (typeof VALUE_ENCODINGS)[number];

/** Item-table rows a delta moves: strictly increasing model indices (1..numItems) and their values, row-major. */
export interface RowDelta {
  indices: Uint32Array;
  /** `indices.length * dim` values; row `i` of the delta is `values.subarray(i * dim, (i + 1) * dim)`. */
  values: Float32Array;
}

/** A change to a model's weights. A dense tensor absent from `dense`, like a row absent from `rows`, does not change. */
export interface WeightDelta {
  /** Full-size deltas of parameters other than `item_emb`, by name (`paramShapes` names). */
  dense: Map<string, Float32Array>;
  rows: RowDelta;
}

/** One device's update, as uploaded to `POST /v1/updates`. */
export interface ModelUpdate extends WeightDelta {
  model: string;
  /** The published version the device trained on; the server refuses updates to any other (`stale_version`). */
  baseVersion: string;
  /** 16 random bytes chosen by the device per update; a re-sent update (same client token and nonce) counts once. */
  nonce: Uint8Array;
  config: ModelConfig;
}

/** The change from one published version to another, as served by `GET /v1/models/:name/deltas`. */
export interface VersionDelta extends WeightDelta {
  model: string;
  fromVersion: string;
  toVersion: string;
  config: ModelConfig;
}

export interface EncodeOptions {
  /**
   * Value precision. Default `int8` for updates (about 1 byte per value: the server adds noise far
   * larger than int8 rounding) and `float16` for version deltas (devices add them to their weights,
   * so rounding would accumulate over versions).
   * @example { values: 'float16' }
   */
  values?: ValueEncoding;
  /**
   * Share of each dense tensor's coordinates to send, largest magnitudes first (top-k sparsification,
   * Aji & Heafield 2017). Default `1`: everything. A 2-block, dim-64 SASRec has ~54k dense values; at
   * int8 that alone is ~54 KB, so a device that must stay under 20 KB sends e.g. `0.15`.
   * @example { density: 0.15 }
   */
  density?: number;
  /**
   * Dense tensors sent with every non-zero value whatever `density` says: ones sparse by construction,
   * such as an update's feature rows (`feat_emb`, zero outside the rows the device moved).
   * @example { whole: ['feat_emb'] }
   */
  whole?: readonly string[];
}

const MAGIC_0 = 0x45; // 'E'
const MAGIC_1 = 0x52; // 'R'
const KIND_UPDATE = 0x55; // 'U'
const KIND_DELTA = 0x44; // 'D'
/** Format 1: a model of item ids alone; format 2 adds `numFeatures` to the shape. */
const FORMAT = 1;
const FORMAT_FEATURES = 2;
export { DELTA_MEDIA_TYPE, FEDERATED_LEARNING_HEADER, NONCE_BYTES, UPDATE_MEDIA_TYPE } from './wire.ts';

// ---------------------------------------------------------------------------------------------------
// Writing

class Writer {
  #buf = new Uint8Array(1024);
  #view = new DataView(this.#buf.buffer);
  length = 0;

  #room(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.#room(1);
    this.#buf[this.length++] = v;
  }
  varint(v: number): void {
    this.#room(5);
    let x = v >>> 0;
    while (x >= 0x80) {
      this.#buf[this.length++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.#buf[this.length++] = x;
  }
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.varint(b.length);
    this.bytes(b);
  }
  f32(v: number): void {
    this.#room(4);
    this.#view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  /** Appends `values` in `encoding`; for int8, one scale for the whole block. */
  values(values: ArrayLike<number>, encoding: ValueEncoding): void {
    const n = values.length;
    if (encoding === 'int8') {
      let max = 0;
      for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(values[i]!));
      const scale = max / 127;
      this.f32(scale);
      this.#room(n);
      for (let i = 0; i < n; i++) this.#buf[this.length++] = scale > 0 ? Math.round(values[i]! / scale) & 0xff : 0;
    } else if (encoding === 'float16') {
      const half = toFloat16(Float32Array.from(values));
      this.#room(2 * n);
      for (let i = 0; i < n; i++) {
        this.#view.setUint16(this.length, half[i]!, true);
        this.length += 2;
      }
    } else {
      this.#room(4 * n);
      for (let i = 0; i < n; i++) this.f32(values[i]!);
    }
  }
  done(): Uint8Array<ArrayBuffer> {
    return this.#buf.slice(0, this.length);
  }
}

/** Indices of the `k` largest-magnitude non-zero entries, ascending. */
function topK(values: Float32Array, k: number): number[] {
  const nonzero: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) nonzero.push(i);
  if (nonzero.length <= k) return nonzero;
  nonzero.sort((a, b) => Math.abs(values[b]!) - Math.abs(values[a]!));
  return nonzero.slice(0, k).sort((a, b) => a - b);
}

function checkDeltaShapes(delta: WeightDelta, config: ModelConfig, where: string): Map<string, number> {
  const index = new Map<string, number>();
  paramShapes(config).forEach(([name], i) => index.set(name, i));
  for (const [name, values] of delta.dense) {
    const i = index.get(name);
    if (i === undefined || i === 0) throw new ContractError('bad_update', `${where}: dense tensor "${name}" is not a dense parameter of this model`);
    const expected = size(paramShapes(config)[i]![1]);
    if (values.length !== expected) throw new ContractError('bad_update', `${where}: dense tensor "${name}" has ${values.length} values, expected ${expected}`);
  }
  const { indices, values } = delta.rows;
  if (values.length !== indices.length * config.dim) {
    throw new ContractError('bad_update', `${where}: rows.values has ${values.length} values for ${indices.length} rows of ${config.dim}`);
  }
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    if (r < 1 || r > config.numItems || (i > 0 && r <= indices[i - 1]!)) {
      throw new ContractError('bad_update', `${where}: rows.indices must be strictly increasing in 1..${config.numItems} (got ${r} at ${i})`);
    }
  }
  return index;
}

function writeFrame(w: Writer, delta: WeightDelta, config: ModelConfig, options: EncodeOptions, where: string): void {
  const encoding = options.values ?? 'int8';
  const density = options.density ?? 1;
  if (!VALUE_ENCODINGS.includes(encoding)) {
    throw new ContractError('bad_update', `${where}: values must be one of ${VALUE_ENCODINGS.join(', ')} (got ${show(encoding)})`);
  }
  if (!(density > 0 && density <= 1)) throw new ContractError('bad_update', `${where}: density must be in (0, 1] (got ${show(density)})`);
  const index = checkDeltaShapes(delta, config, where);
  for (const key of ['numItems', 'dim', 'blocks', 'heads', 'maxLen'] as const) w.varint(config[key]);
  if (config.numFeatures) w.varint(config.numFeatures);

  const whole = new Set(options.whole ?? []);
  const tensors = [...delta.dense].map(([name, values]) => ({ param: index.get(name)!, values, share: whole.has(name) ? 1 : density })).sort((a, b) => a.param - b.param);
  const kept = tensors
    .map((t) => ({ ...t, keep: topK(t.values, Math.ceil(t.share * t.values.length)) }))
    .filter((t) => t.keep.length > 0); // an all-zero tensor is the same as an absent one
  w.varint(kept.length);
  const perValue = encoding === 'int8' ? 1 : encoding === 'float16' ? 2 : 4;
  for (const { param, values, keep } of kept) {
    w.varint(param);
    // Sparse costs a ~1-byte gap per kept value; worth it only when enough values are dropped.
    if (keep.length * (perValue + 1) < values.length * perValue) {
      w.u8(1);
      w.varint(keep.length);
      let prev = -1;
      for (const i of keep) {
        w.varint(i - prev - 1);
        prev = i;
      }
      w.values(keep.map((i) => values[i]!), encoding);
    } else {
      w.u8(0);
      w.values(values, encoding);
    }
  }
  const { indices, values } = delta.rows;
  w.varint(indices.length);
  let prev = 0;
  for (let i = 0; i < indices.length; i++) {
    // The first gap is the index itself (rows start at 1), each next one the distance less one.
    w.varint(i === 0 ? indices[0]! : indices[i]! - prev - 1);
    prev = indices[i]!;
  }
  const dim = config.dim;
  for (let i = 0; i < indices.length; i++) w.values(values.subarray(i * dim, (i + 1) * dim), encoding);
}

function header(kind: number, encoding: ValueEncoding | undefined, config: ModelConfig): Writer {
  const w = new Writer();
  w.u8(MAGIC_0);
  w.u8(MAGIC_1);
  w.u8(kind);
  w.u8(config.numFeatures ? FORMAT_FEATURES : FORMAT);
  w.u8(VALUE_ENCODINGS.indexOf(encoding ?? 'int8'));
  return w;
}

function checkLabels(model: string, versions: Array<[string, string]>, nonce?: Uint8Array): void {
  if (typeof model !== 'string' || !MODEL_NAME.test(model)) throw new ContractError('bad_update', `model must match ${MODEL_NAME} (got ${show(model)})`);
  for (const [field, v] of versions) {
    if (typeof v !== 'string' || !VERSION_LABEL.test(v)) throw new ContractError('bad_update', `${field} must match ${VERSION_LABEL} (got ${show(v)})`);
  }
  if (nonce !== undefined && (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES)) {
    throw new ContractError('bad_update', `nonce must be ${NONCE_BYTES} bytes`);
  }
}

/**
 * Encodes a device update.
 * @example encodeUpdate({ model: 'default', baseVersion: 'v3', nonce: crypto.getRandomValues(new Uint8Array(16)), config, dense, rows })
 * @throws ContractError `bad_update` naming the field at fault.
 */
export function encodeUpdate(update: ModelUpdate, options: EncodeOptions = {}): Uint8Array<ArrayBuffer> {
  checkLabels(update.model, [['baseVersion', update.baseVersion]], update.nonce);
  const w = header(KIND_UPDATE, options.values, update.config);
  w.str(update.model);
  w.str(update.baseVersion);
  w.bytes(update.nonce);
  writeFrame(w, update, update.config, options, 'update');
  return w.done();
}

/** Encodes the delta between two published versions. Values default to float16 (see `EncodeOptions.values`). */
export function encodeVersionDelta(delta: VersionDelta, options: EncodeOptions = {}): Uint8Array<ArrayBuffer> {
  checkLabels(delta.model, [['fromVersion', delta.fromVersion], ['toVersion', delta.toVersion]]);
  const opts = { ...options, values: options.values ?? 'float16' };
  const w = header(KIND_DELTA, opts.values, delta.config);
  w.str(delta.model);
  w.str(delta.fromVersion);
  w.str(delta.toVersion);
  writeFrame(w, delta, delta.config, opts, 'delta');
  return w.done();
}

// ---------------------------------------------------------------------------------------------------
// Reading

/** Decoding is stateless without `stream`, so one strict decoder serves every frame. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  #view: DataView;
  offset = 0;
  /** Sum of the squares of every value read so far. */
  sumOfSquares = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly where: string,
  ) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(field: string, message: string): never {
    throw new ContractError('bad_update', `${this.where}: ${field} ${message}`);
  }
  #need(n: number, field: string): void {
    if (this.offset + n > this.bytes.length) this.fail(field, `is truncated (needs ${n} bytes at offset ${this.offset} of ${this.bytes.length})`);
  }
  u8(field: string): number {
    this.#need(1, field);
    return this.bytes[this.offset++]!;
  }
  varint(field: string): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.u8(field);
      if (shift === 28 && b > 0x0f) this.fail(field, 'overflows 32 bits');
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
    }
    return this.fail(field, 'is not a valid varint');
  }
  bytesOf(n: number, field: string): Uint8Array {
    this.#need(n, field);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  str(field: string, max = 256): string {
    const n = this.varint(field);
    if (n > max) this.fail(field, `is longer than ${max} bytes`);
    try {
      return STRICT_UTF8.decode(this.bytesOf(n, field));
    } catch (err) {
      if (err instanceof ContractError) throw err;
      return this.fail(field, 'is not UTF-8');
    }
  }
  /**
   * Reads and checks `n` values. They go to `out` from `base` on (or to `out[index[i]]`); with no `out`
   * they are only checked. Either way their squares (as float32, the precision `out` keeps) are added to
   * `sumOfSquares`, in the order `deltaNorm` adds them, so the norm is the same without materializing.
   * One monomorphic loop per encoding: this runs for every value of every upload.
   */
  values(n: number, encoding: ValueEncoding, field: string, out?: Float32Array, base = 0, index?: Uint32Array): void {
    // Carried on from the previous block, not summed per block: the same additions in the same order.
    let sum = this.sumOfSquares;
    if (encoding === 'int8') {
      this.#need(4 + n, field);
      const scale = this.#view.getFloat32(this.offset, true);
      // A finite scale can still overflow: code 127 times a scale near the float32 maximum is infinite.
      if (!Number.isFinite(scale) || scale < 0 || !Number.isFinite(Math.fround(127 * scale))) {
        this.fail(field, `has scale ${scale}; it must be finite and non-negative, with 127 × scale finite in float32`);
      }
      this.offset += 4;
      const bytes = this.bytes;
      const start = this.offset;
      // Sign-extended with shifts and checked once after the loop: a branch on each code's sign costs
      // a misprediction per value (signs are random), several times the rest of the loop.
      let min = 0;
      if (!out) {
        // Only checking (intake, every upload): the codes' squares summed exactly as integers, four codes
        // per 32-bit read, times scale². That is the norm `deltaNorm` gives to within float rounding
        // (about 1e-7 relative: it squares each float32 value) at under half the cost of a float32
        // rounding and a dependent float addition per value; intake only bounds it.
        const view = this.#view;
        let even = 0;
        let odd = 0;
        let marks = 0;
        let i = 0;
        for (; i + 3 < n; i += 4) {
          const word = view.getInt32(start + i, true);
          const c0 = (word << 24) >> 24;
          const c1 = (word << 16) >> 24;
          const c2 = (word << 8) >> 24;
          const c3 = word >> 24;
          even += c0 * c0 + c2 * c2;
          odd += c1 * c1 + c3 * c3;
          // Code -128 (byte 0x80) is a zero byte of word ^ 0x80808080: the classic zero-byte test.
          const t = word ^ 0x80808080;
          marks |= (t - 0x01010101) & ~t & 0x80808080;
        }
        if (marks !== 0) min = -128;
        for (; i < n; i++) {
          const code = (bytes[start + i]! << 24) >> 24;
          if (code < min) min = code;
          even += code * code;
        }
        sum += (even + odd) * scale * scale;
      } else if (!index) {
        for (let i = 0; i < n; i++) {
          const code = (bytes[start + i]! << 24) >> 24;
          if (code < min) min = code;
          const v = Math.fround(code * scale);
          sum += v * v;
          out[base + i] = v;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const code = (bytes[start + i]! << 24) >> 24;
          if (code < min) min = code;
          const v = Math.fround(code * scale);
          sum += v * v;
          out[index[i]!] = v;
        }
      }
      if (min === -128) this.fail(field, 'holds int8 code -128; codes are -127..127');
      this.offset = start + n;
    } else if (encoding === 'float16') {
      this.#need(2 * n, field);
      const bits = new Uint16Array(n);
      for (let i = 0; i < n; i++) bits[i] = this.#view.getUint16(this.offset + 2 * i, true);
      this.offset += 2 * n;
      const vals = fromFloat16(bits);
      for (let i = 0; i < n; i++) {
        const v = vals[i]!;
        if (!Number.isFinite(v)) this.fail(field, 'holds a non-finite value');
        sum += v * v;
        if (out) out[index ? index[i]! : base + i] = v;
      }
    } else {
      this.#need(4 * n, field);
      for (let i = 0; i < n; i++) {
        const v = this.#view.getFloat32(this.offset, true);
        this.offset += 4;
        if (!Number.isFinite(v)) this.fail(field, 'holds a non-finite value');
        sum += v * v;
        if (out) out[index ? index[i]! : base + i] = v;
      }
    }
    this.sumOfSquares = sum;
  }
}

/** Limits a decoder enforces beyond the format itself. */
export interface DecodeLimits {
  /** Refuse frames moving more item rows than this (an update past the server's per-client row limit). Default: no limit. */
  maxRows?: number;
}

interface Frame extends WeightDelta {
  kind: 'update' | 'delta';
  encoding: ValueEncoding;
  model: string;
  version: string;
  nonce?: Uint8Array;
  toVersion?: string;
  config: ModelConfig;
}

/**
 * Reads and validates a frame. With `materialize` false every check still runs but no value is kept
 * (`dense` and `rows.values` come back empty): what the server's intake needs, which stores the bytes
 * as received and only needs the labels and the norm.
 */
function readFrame(bytes: Uint8Array, where: string, limits: DecodeLimits, materialize = true): Frame & { norm: number } {
  if (!(bytes instanceof Uint8Array)) throw new ContractError('bad_update', `${where}: expected bytes`);
  const r = new Reader(bytes, where);
  const kind = r.bytes.length >= 3 && r.bytes[0] === MAGIC_0 && r.bytes[1] === MAGIC_1 ? r.bytes[2] : -1;
  if (kind !== KIND_UPDATE && kind !== KIND_DELTA) r.fail('magic', 'must be "ERU" (update) or "ERD" (delta): this is not an EdgeRecs frame');
  r.offset = 3;
  const format = r.u8('format');
  if (format !== FORMAT && format !== FORMAT_FEATURES) r.fail('format', `must be ${FORMAT} or ${FORMAT_FEATURES} (got ${format})`);
  const enc = r.u8('valueEncoding');
  const encoding = VALUE_ENCODINGS[enc] as ValueEncoding;
  if (!encoding) r.fail('valueEncoding', `must be 0 (int8), 1 (float16) or 2 (float32) (got ${enc})`);
  const model = r.str('model', 64);
  if (!MODEL_NAME.test(model)) r.fail('model', `must match ${MODEL_NAME} (got ${show(model)})`);
  const version = r.str(kind === KIND_UPDATE ? 'baseVersion' : 'fromVersion', 64);
  if (!VERSION_LABEL.test(version)) r.fail(kind === KIND_UPDATE ? 'baseVersion' : 'fromVersion', `must match ${VERSION_LABEL} (got ${show(version)})`);
  const frame: Partial<Frame> = { kind: kind === KIND_UPDATE ? 'update' : 'delta', encoding, model, version };
  if (kind === KIND_UPDATE) frame.nonce = r.bytesOf(NONCE_BYTES, 'nonce');
  else {
    frame.toVersion = r.str('toVersion', 64);
    if (!VERSION_LABEL.test(frame.toVersion)) r.fail('toVersion', `must match ${VERSION_LABEL} (got ${show(frame.toVersion)})`);
  }
  const rawConfig: Record<string, number> = {};
  for (const key of ['numItems', 'dim', 'blocks', 'heads', 'maxLen']) rawConfig[key] = r.varint(`config.${key}`);
  if (format === FORMAT_FEATURES) {
    rawConfig.numFeatures = r.varint('config.numFeatures');
    if (rawConfig.numFeatures === 0) r.fail('config.numFeatures', 'must be positive in format 2 (a model without features is format 1)');
  }
  let config: ModelConfig;
  try {
    config = parseModelConfig(rawConfig);
  } catch (err) {
    return r.fail('config', (err as Error).message.replace(/^model config /, ''));
  }
  const shapes = paramShapes(config);

  const dense = new Map<string, Float32Array>();
  const denseCount = r.varint('denseCount');
  if (denseCount > shapes.length - 1) r.fail('denseCount', `is ${denseCount}; the model has ${shapes.length - 1} dense tensors`);
  let lastParam = 0;
  for (let t = 0; t < denseCount; t++) {
    const param = r.varint(`dense[${t}].param`);
    if (param <= lastParam || param >= shapes.length) {
      r.fail(`dense[${t}].param`, `must be increasing in 1..${shapes.length - 1} (got ${param})`);
    }
    lastParam = param;
    const [name, shape] = shapes[param]!;
    const n = size(shape);
    const values = materialize ? new Float32Array(n) : undefined;
    const layout = r.u8(`dense[${t}].layout`);
    const field = `dense["${name}"]`;
    if (layout === 0) r.values(n, encoding, field, values);
    else if (layout === 1) {
      const k = r.varint(`${field}.count`);
      if (k < 1 || k > n) r.fail(`${field}.count`, `must be in 1..${n} (got ${k})`);
      const at = new Uint32Array(k);
      let prev = -1;
      for (let i = 0; i < k; i++) {
        const idx = prev + 1 + r.varint(`${field}.indices`);
        if (idx >= n) r.fail(`${field}.indices`, `index ${idx} is past the tensor's ${n} values`);
        at[i] = idx;
        prev = idx;
      }
      r.values(k, encoding, field, values, 0, at);
    } else r.fail(`${field}.layout`, `must be 0 (all values) or 1 (sparse) (got ${layout})`);
    if (values) dense.set(name, values);
  }

  const rowCount = r.varint('rowCount');
  if (rowCount > config.numItems) r.fail('rowCount', `is ${rowCount}; the model has ${config.numItems} items`);
  if (limits.maxRows !== undefined && rowCount > limits.maxRows) r.fail('rowCount', `is ${rowCount}; at most ${limits.maxRows} item rows may be moved by one update`);
  const indices = new Uint32Array(rowCount);
  let prev = 0;
  for (let i = 0; i < rowCount; i++) {
    const gap = r.varint('rows.indices');
    const idx = i === 0 ? gap : prev + 1 + gap;
    if (idx < 1 || idx > config.numItems) r.fail('rows.indices', `row ${idx} is outside 1..${config.numItems}`);
    indices[i] = idx;
    prev = idx;
  }
  const dim = config.dim;
  const values = new Float32Array(materialize ? rowCount * dim : 0);
  for (let i = 0; i < rowCount; i++) r.values(dim, encoding, `rows[${indices[i]}]`, materialize ? values : undefined, i * dim);
  if (r.offset !== bytes.length) r.fail('frame', `has ${bytes.length - r.offset} trailing bytes`);
  return { ...(frame as Frame), config, dense, rows: { indices, values }, norm: Math.sqrt(r.sumOfSquares) };
}

/**
 * Decodes and validates a device update: every field, every index and every value (finite, in range)
 * is checked, and a frame of any other kind, with trailing bytes or truncated is refused.
 * @throws ContractError `bad_update` whose message names the field at fault.
 */
export function decodeUpdate(bytes: Uint8Array, limits: DecodeLimits = {}): ModelUpdate & { encoding: ValueEncoding } {
  const f = readFrame(bytes, 'update', limits);
  if (f.kind !== 'update') throw new ContractError('bad_update', 'update: magic is "ERD" (a version delta), expected "ERU" (an update)');
  return { model: f.model, baseVersion: f.version, nonce: f.nonce!, config: f.config, dense: f.dense, rows: f.rows, encoding: f.encoding };
}

/** What `checkUpdate` reports of a valid update: its labels, shape and L2 norm, not its values. */
export interface UpdateSummary {
  model: string;
  baseVersion: string;
  nonce: Uint8Array;
  config: ModelConfig;
  encoding: ValueEncoding;
  /** Number of item rows the update moves. */
  rowCount: number;
  /** L2 norm of all its values: `deltaNorm(decodeUpdate(bytes))` to within float rounding (exactly so for float16 and float32 values). */
  norm: number;
}

/**
 * Validates a device update exactly as `decodeUpdate` does (every field, index and value) without
 * keeping the values: for intake, which stores the bytes as received. Allocates no value arrays, so
 * it costs a fraction of a decode.
 * @throws ContractError `bad_update` whose message names the field at fault.
 */
export function checkUpdate(bytes: Uint8Array, limits: DecodeLimits = {}): UpdateSummary {
  const f = readFrame(bytes, 'update', limits, false);
  if (f.kind !== 'update') throw new ContractError('bad_update', 'update: magic is "ERD" (a version delta), expected "ERU" (an update)');
  return { model: f.model, baseVersion: f.version, nonce: f.nonce!, config: f.config, encoding: f.encoding, rowCount: f.rows.indices.length, norm: f.norm };
}

/** Decodes and validates a version delta (see `decodeUpdate`). */
export function decodeVersionDelta(bytes: Uint8Array): VersionDelta {
  const f = readFrame(bytes, 'delta', {});
  if (f.kind !== 'delta') throw new ContractError('bad_update', 'delta: magic is "ERU" (an update), expected "ERD" (a version delta)');
  return { model: f.model, fromVersion: f.version, toVersion: f.toVersion!, config: f.config, dense: f.dense, rows: f.rows };
}

/** Reads only the labels of a frame (model, versions) without decoding its values, e.g. to route it. */
export function peekUpdate(bytes: Uint8Array): { model: string; baseVersion: string } {
  const r = new Reader(bytes, 'update');
  if (!(bytes.length >= 4 && bytes[0] === MAGIC_0 && bytes[1] === MAGIC_1 && bytes[2] === KIND_UPDATE)) r.fail('magic', 'must be "ERU": this is not an EdgeRecs update');
  r.offset = 5;
  const model = r.str('model', 64);
  if (!MODEL_NAME.test(model)) r.fail('model', `must match ${MODEL_NAME} (got ${show(model)})`);
  return { model, baseVersion: r.str('baseVersion', 64) };
}
