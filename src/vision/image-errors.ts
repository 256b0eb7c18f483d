import { CtgiError } from '../errors/ctgi-error.js';

/** The IMAGE_INVALID error for image `label`: "Cannot read image LABEL: REASON." */
export function invalidImage(label: string, reason: string, cause?: unknown): CtgiError {
  return new CtgiError('IMAGE_INVALID', `Cannot read image ${label}: ${reason}.`, cause === undefined ? undefined : { cause });
}

/** A file system error on image file `path` as a CtgiError: NOT_FOUND for a missing file, else IMAGE_INVALID. */
export function imageFileError(path: string, err: unknown): CtgiError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new CtgiError('NOT_FOUND', `Image file ${path} does not exist; check the path.`, { cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM') return invalidImage(path, 'permission denied', err);
  if (code === 'EISDIR') return invalidImage(path, 'it is a directory, not a file', err);
  if (code === 'ELOOP') return invalidImage(path, 'it is a symbolic link loop', err);
  return invalidImage(path, `the file could not be read (${typeof code === 'string' ? code : 'I/O error'})`, err);
}
