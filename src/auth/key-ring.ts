import { keyIdOf, keyMatches } from './api-key';
import { readKeyFile, type KeyRecord } from './key-file';
import type { Principal } from './principal';

/** The keys the API accepts, read from the key file; `reload` swaps them in only if the new file is valid. */
export class KeyRing {
  private records = new Map<string, KeyRecord>();
  private fingerprint = '';

  constructor(readonly file: string) {
    this.reload();
  }

  /** Re-reads the file; on an invalid file it throws and keeps the keys it had. `changed`: the records differ. */
  reload(): { size: number; changed: boolean } {
    const next = new Map(readKeyFile(this.file).keys.map((record) => [record.id, record]));
    const fingerprint = JSON.stringify([...next.values()]);
    const changed = fingerprint !== this.fingerprint;
    this.records = next;
    this.fingerprint = fingerprint;
    return { size: next.size, changed };
  }

  get size(): number {
    return this.records.size;
  }

  /** The principal of a presented key, or undefined for a key that is unknown or does not match. */
  authenticate(key: string): Principal | undefined {
    const id = keyIdOf(key);
    const record = id === undefined ? undefined : this.records.get(id);
    if (!record || !keyMatches(key, record.hash)) return undefined;
    return {
      keyId: record.id,
      tenant: record.tenant,
      role: record.role,
      weight: record.weight,
      ...(record.rateLimit ? { rateLimit: record.rateLimit } : {}),
      ...(record.maxInFlight ? { maxInFlight: record.maxInFlight } : {}),
    };
  }
}
