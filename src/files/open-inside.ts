import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Why a source file was refused. None of them quotes the file or says where a link leads. */
export type SourceFileProblem = 'missing' | 'outside' | 'not-a-file';

export class SourceFileRefusedError extends Error {
  constructor(
    readonly relative: string,
    readonly problem: SourceFileProblem,
  ) {
    super(refusalMessage(relative, problem));
    this.name = 'SourceFileRefusedError';
  }
}

function refusalMessage(relative: string, problem: SourceFileProblem): string {
  switch (problem) {
    case 'missing':
      return `no such source file: ${relative}`;
    case 'outside':
      return `source file ${relative} resolves outside the source directory`;
    case 'not-a-file':
      return `source path ${relative} is not a regular file`;
  }
}

// O_NONBLOCK: opening a FIFO (or a device) must not hang the worker; reads of a regular file ignore it.
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;
const NOT_THERE = new Set(['ENOENT', 'ENOTDIR', 'ELOOP']);

/**
 * Opens `relative` under `root` for reading, following links only while they stay inside `root`: links
 * within the directory work, a link (at any level) that leads out of it is refused. The check is made on
 * the descriptor already opened (its path as the kernel resolved it), and the file is read only through
 * that descriptor, so swapping a link between the check and the read changes nothing. The caller closes
 * the handle (a read stream made from it closes it when done).
 *
 * Throws SourceFileRefusedError for a refusal; other errors (EMFILE, EIO) pass through as they are.
 */
export async function openInside(root: string, relative: string): Promise<FileHandle> {
  if (path.isAbsolute(relative) || relative.split(/[\\/]/).includes('..')) throw new SourceFileRefusedError(relative, 'outside');
  const realRoot = await fsp.realpath(root).catch((err: NodeJS.ErrnoException) => {
    if (NOT_THERE.has(err.code ?? '')) throw new SourceFileRefusedError(relative, 'missing');
    throw err;
  });
  const candidate = path.join(realRoot, relative);
  // A first look, so that a file outside is normally not even opened. It decides nothing by itself: the
  // link may change before the open, which is why the descriptor is checked again below.
  const before = await deepestRealPath(candidate);
  if (!isInside(realRoot, before.real)) throw new SourceFileRefusedError(relative, 'outside');
  if (!before.exists) throw new SourceFileRefusedError(relative, 'missing');

  let handle: FileHandle;
  try {
    handle = await fsp.open(candidate, OPEN_FLAGS);
  } catch (err) {
    if (NOT_THERE.has((err as NodeJS.ErrnoException).code ?? '')) throw new SourceFileRefusedError(relative, 'missing');
    throw err;
  }
  try {
    const opened = await openedPath(handle, candidate);
    if (opened === undefined || !isInside(realRoot, opened)) throw new SourceFileRefusedError(relative, 'outside');
    if (!(await handle.stat()).isFile()) throw new SourceFileRefusedError(relative, 'not-a-file');
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Opens and closes again: the submission-time check, made by the same code the worker reads with. */
export async function checkInside(root: string, relative: string): Promise<void> {
  const handle = await openInside(root, relative);
  await handle.close();
}

/**
 * Where the opened descriptor really is. Linux names it in /proc/self/fd (resolved by the kernel at open
 * time). Elsewhere: the real path of the candidate, if the file there is the very file opened (same
 * device and inode) — if a link changed in between, the two differ and the file is refused.
 */
async function openedPath(handle: FileHandle, candidate: string): Promise<string | undefined> {
  try {
    return await fsp.readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    const real = await fsp.realpath(candidate).catch(() => undefined);
    if (real === undefined) return undefined;
    const [opened, there] = await Promise.all([handle.stat(), fsp.stat(real).catch(() => undefined)]);
    return there && opened.dev === there.dev && opened.ino === there.ino ? real : undefined;
  }
}

/**
 * The real path of `file`, or of its deepest existing ancestor when it does not exist: a missing file
 * behind a link that leads outside is "outside", like an existing one, so the answer says nothing about
 * what exists out there.
 */
async function deepestRealPath(file: string): Promise<{ real: string; exists: boolean }> {
  for (let current = file; ; current = path.dirname(current)) {
    try {
      return { real: await fsp.realpath(current), exists: current === file };
    } catch (err) {
      if (!NOT_THERE.has((err as NodeJS.ErrnoException).code ?? '') || path.dirname(current) === current) throw err;
    }
  }
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}
