/**
 * Rows of a GA4 BigQuery export (the `events_YYYYMMDD` tables) as BigQuery writes them, for the fixtures
 * that stand in for a shop's own export (`test/fixtures/ga4-export/generate.ts`,
 * `test/support/fixture-shop/history.ts`): every column of the export schema, in the schema's order, nested
 * as the schema nests it (https://support.google.com/analytics/answer/7029846). INT64 columns are
 * strings, FLOAT64 numbers. What a fixture does not give is written as GA4 writes a missing value: NULL,
 * an empty REPEATED column, and `(not set)` in an item's text columns.
 */

/** `event_params[].value`: one of the four typed columns is set, the others are NULL. */
export interface Ga4Value {
  string_value: string | null;
  int_value: string | null;
  float_value: number | null;
  double_value: number | null;
}

export interface Ga4Param {
  key: string;
  value: Ga4Value;
}

/** An `event_params` entry: a string, an INT64 (written as a string) or a FLOAT64 (`double`); the kind follows the value's type unless named. */
export function ga4Param(key: string, value: string | number, kind: 'string' | 'int' | 'double' = typeof value === 'string' ? 'string' : 'int'): Ga4Param {
  return {
    key,
    value: {
      string_value: kind === 'string' ? String(value) : null,
      int_value: kind === 'int' ? String(value) : null,
      float_value: null,
      double_value: kind === 'double' ? Number(value) : null,
    },
  };
}

type Columns = Record<string, unknown>;

/** The columns of `defaults` (the schema's, in its order), each `given` or else its default (a new empty array for a REPEATED one). */
function record<T extends Columns>(defaults: T, given: Partial<T>): T {
  const out: Columns = {};
  for (const [column, value] of Object.entries(defaults)) out[column] = given[column] !== undefined ? given[column] : Array.isArray(value) ? [] : value;
  return out as T;
}

const NOT_SET = '(not set)';

const ITEM = {
  item_id: NOT_SET as string,
  item_name: NOT_SET as string,
  item_brand: NOT_SET as string,
  item_variant: NOT_SET as string,
  item_category: NOT_SET as string,
  item_category2: NOT_SET as string,
  item_category3: NOT_SET as string,
  item_category4: NOT_SET as string,
  item_category5: NOT_SET as string,
  price_in_usd: null as number | null,
  price: null as number | null,
  /** INT64: a string. */
  quantity: null as string | null,
  item_revenue_in_usd: null as number | null,
  item_revenue: null as number | null,
  item_refund_in_usd: null as number | null,
  item_refund: null as number | null,
  coupon: NOT_SET as string,
  affiliation: NOT_SET as string,
  location_id: NOT_SET as string,
  item_list_id: NOT_SET as string,
  item_list_name: NOT_SET as string,
  /** INT64 where set (a string), else `(not set)`. */
  item_list_index: NOT_SET as string,
  promotion_id: NOT_SET as string,
  promotion_name: NOT_SET as string,
  creative_name: NOT_SET as string,
  creative_slot: NOT_SET as string,
  item_params: [] as unknown[],
};
export type Ga4Item = typeof ITEM;

/** An `items[]` entry. */
export const ga4Item = (columns: Partial<Ga4Item>): Ga4Item => record(ITEM, columns);

const ECOMMERCE = {
  total_item_quantity: null as string | null,
  purchase_revenue_in_usd: null as number | null,
  purchase_revenue: null as number | null,
  refund_value_in_usd: null as number | null,
  refund_value: null as number | null,
  shipping_value_in_usd: null as number | null,
  shipping_value: null as number | null,
  tax_value_in_usd: null as number | null,
  tax_value: null as number | null,
  unique_items: null as string | null,
  transaction_id: null as string | null,
};
export type Ga4Ecommerce = typeof ECOMMERCE;

/** The `ecommerce` record. */
export const ga4Ecommerce = (columns: Partial<Ga4Ecommerce>): Ga4Ecommerce => record(ECOMMERCE, columns);

const DEVICE = {
  category: null as string | null,
  mobile_brand_name: null as string | null,
  mobile_model_name: null as string | null,
  mobile_marketing_name: null as string | null,
  mobile_os_hardware_model: null as string | null,
  operating_system: null as string | null,
  operating_system_version: null as string | null,
  vendor_id: null as string | null,
  advertising_id: null as string | null,
  language: null as string | null,
  is_limited_ad_tracking: null as string | null,
  time_zone_offset_seconds: null as string | null,
  browser: null as string | null,
  browser_version: null as string | null,
  web_info: null as { browser: string; browser_version: string; hostname: string } | null,
};
export type Ga4Device = typeof DEVICE;

/** The `device` record. */
export const ga4Device = (columns: Partial<Ga4Device>): Ga4Device => record(DEVICE, columns);

const ROW = {
  /** `YYYYMMDD` in the property's time zone. */
  event_date: null as string | null,
  /** Microseconds since the epoch (INT64: a string). */
  event_timestamp: null as string | null,
  event_name: null as string | null,
  event_params: [] as Ga4Param[],
  event_previous_timestamp: null as string | null,
  event_value_in_usd: null as number | null,
  event_bundle_sequence_id: null as string | null,
  event_server_timestamp_offset: null as string | null,
  user_id: null as string | null,
  user_pseudo_id: null as string | null,
  privacy_info: null as Columns | null,
  user_properties: [] as unknown[],
  user_first_touch_timestamp: null as string | null,
  user_ltv: null as Columns | null,
  device: null as Ga4Device | null,
  geo: null as Columns | null,
  app_info: null as Columns | null,
  traffic_source: null as Columns | null,
  stream_id: null as string | null,
  platform: null as string | null,
  event_dimensions: null as Columns | null,
  ecommerce: null as Ga4Ecommerce | null,
  items: [] as Ga4Item[],
  collected_traffic_source: null as Columns | null,
  is_active_user: null as boolean | null,
  batch_event_index: null as string | null,
  batch_page_id: null as string | null,
  batch_ordering_id: null as string | null,
  session_traffic_source_last_click: null as Columns | null,
  publisher: null as Columns | null,
};
export type Ga4Row = typeof ROW;

/** One row of an `events_YYYYMMDD` table. */
export const ga4Row = (columns: Partial<Ga4Row>): Ga4Row => record(ROW, columns);
