import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';
import type { KeyRing } from './key-ring';

export interface WatchOptions {
  /** Changes closer together than this are read once (an editor writes, renames and chmods). */
  debounceMs?: number;
  /** Watch the file's directory for changes; off leaves SIGHUP as the only trigger. */
  fileEvents?: boolean;
}

/**
 * Reloads the key ring on SIGHUP and whenever the key file's directory changes, without a restart. The
 * directory is watched, not the file: editors and `mv` replace the file (a new inode), and a Kubernetes
 * secret mount swaps a symlink next to it. A file that does not read or validate leaves the keys as they
 * were, and the error line names the file and the bad fields, never a hash or a key.
 *
 * Returns a function that stops watching.
 */
export function watchKeyFile(ring: KeyRing, log: Logger, options: WatchOptions = {}): () => void {
  const debounceMs = options.debounceMs ?? 250;
  const reload = (trigger: 'SIGHUP' | 'file change') => {
    try {
      const { size, changed } = ring.reload();
      if (changed || trigger === 'SIGHUP') log.info({ file: ring.file, keys: size, trigger }, 'API keys reloaded');
    } catch (err) {
      log.error(
        { file: ring.file, trigger, error: (err as Error).message },
        'API key file not reloaded; the keys loaded before stay in use',
      );
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => reload('file change'), debounceMs);
    timer.unref();
  };
  let watcher: FSWatcher | undefined;
  if (options.fileEvents !== false) {
    try {
      // persistent: false, so a watched key file never keeps a process alive that is shutting down.
      watcher = watch(path.dirname(ring.file), { persistent: false }, soon);
      watcher.on('error', (err) =>
        log.warn({ file: ring.file, error: err.message }, 'cannot watch the API key file; reload it with SIGHUP'),
      );
    } catch (err) {
      log.warn({ file: ring.file, error: (err as Error).message }, 'cannot watch the API key file; reload it with SIGHUP');
    }
  }
  const onHangUp = () => reload('SIGHUP');
  process.on('SIGHUP', onHangUp);
  return () => {
    clearTimeout(timer);
    watcher?.close();
    process.off('SIGHUP', onHangUp);
  };
}
