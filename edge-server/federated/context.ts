/** What the parts of one federation share: its settings, stores, key, clocks and budget. */
import type { KeyFile, TrustedKey } from '../../core/artifact/signing.ts';
import type { ResolvedFederationSettings } from '../../core/federated/settings.ts';
import type { Storage } from '../models/storage.ts';
import type { PrivacyBudget } from './budget.ts';
import type { TokenDayLimit } from './limits.ts';
import type { RoundStore } from './store.ts';
import type { ItemCountsSink } from './types.ts';

export interface FederationContext {
  settings: ResolvedFederationSettings;
  /** The app's storage: base versions are read from it and new versions published to it. */
  storage: Storage;
  /** Accepted updates and rounds. */
  store: RoundStore;
  /** Signs the versions rounds publish. */
  key: Required<KeyFile>;
  publicKey: TrustedKey;
  /** Standard normal noise. */
  gauss: () => number;
  /** Clock in milliseconds. */
  now: () => number;
  budget: PrivacyBudget;
  tokens: TokenDayLimit;
  /** Where published rounds report their trending evidence; set late by `reportItemCountsTo`. */
  popularity?: ItemCountsSink;
}
