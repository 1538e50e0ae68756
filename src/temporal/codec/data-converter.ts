import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import type { EncryptionKeyring } from './keyring';

/**
 * The data converter of every Jobline client, worker and replayer: payloads encrypted at rest when
 * JOBLINE_ENCRYPTION_KEYS is set, the SDK's default otherwise. Memos go through codecs too; search
 * attributes do not (they must never hold secrets).
 */
export function dataConverterFor(keyring: EncryptionKeyring | undefined): DataConverter | undefined {
  return keyring ? { payloadCodecs: [new AesGcmCodec(keyring)] } : undefined;
}
